"""pyarrow's own S3 filesystem (the AWS SDK for C++) for an Endpoint, set up as client.make_client sets boto3.

For formats whose library reads the bucket itself (Parquet through pyarrow): pyarrow then does the ranged
GETs and multipart uploads, on its I/O thread pool (``pyarrow.io_thread_count()``, 8 by default), as it
does for its users; IoThreads sets that pool's size, the requests in flight. Imported only by the writers
and readers that need it: pyarrow stays out of the registry.

Forked processes (measured with pyarrow 26.0.1, see methods/s3parquet.py): a filesystem must not cross a
fork. One made in a forked child works, even where the parent used S3 before forking; one inherited from
the parent shares the parent's pooled connections, and reads in both then fail ("Failed to flush response
stream"). A child forked after S3 was initialised hangs for ever if it finalises S3 (pyarrow's atexit hook
``ensure_s3_finalized``, at a normal interpreter exit): it must leave through ``os._exit``, as
multiprocessing's workers do.
"""

from urllib.parse import urlsplit

from .client import CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS, Endpoint


def s3_filesystem(endpoint: Endpoint):
    """A pyarrow S3FileSystem on the endpoint (the latency proxy's URL where there is one): path-style
    addressing, its credentials (or the AWS SDK's usual chain without them), and no retries, so that a
    failed request raises instead of being repeated inside a timed read."""
    import pyarrow.fs as pafs

    url = urlsplit(endpoint.url)
    keys = {}
    if endpoint.credentials is not None:
        keys = {"access_key": endpoint.credentials.access_key_id,
                "secret_key": endpoint.credentials.secret_access_key}  # fmt: skip
    return pafs.S3FileSystem(
        endpoint_override=url.netloc,
        scheme=url.scheme,
        region=endpoint.region,
        force_virtual_addressing=endpoint.addressing_style == "virtual",
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        request_timeout=READ_TIMEOUT_SECONDS,
        retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=1),
        **keys,
    )


class IoThreads:
    """pyarrow's I/O thread pool at n threads (the most S3 requests in flight; n >= 1, as the concurrency
    option and read_manifest check) until restore(): the pool is the process's, so one writer or reader at
    a time may hold it (the harness opens them one after another; the parallel pattern's workers are
    processes of their own)."""

    def __init__(self, n: int):
        import pyarrow as pa

        self.previous = pa.io_thread_count()
        pa.set_io_thread_count(n)

    def restore(self) -> None:
        import pyarrow as pa

        if self.previous is not None:
            pa.set_io_thread_count(self.previous)
            self.previous = None
