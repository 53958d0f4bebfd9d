"""What a store occupies in a bucket, and removing it: both by key prefix, the S3 notion of a folder."""

from dataclasses import dataclass

from botocore.exceptions import ClientError

DELETE_BATCH = 1000  # the most keys one DeleteObjects request accepts


@dataclass(frozen=True)
class Usage:
    """Objects under a prefix and the sum of their sizes (what the service bills as storage)."""

    objects: int
    bytes: int


def _check_prefix(prefix: str) -> None:
    # An empty prefix would mean the whole bucket, which may hold other people's data.
    if not prefix:
        raise ValueError("a store's prefix must not be empty (it would mean the whole bucket)")


def usage(client, bucket: str, prefix: str) -> Usage:
    """Object count and bytes of every object whose key starts with prefix."""
    _check_prefix(prefix)
    objects = size = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", ()):
            objects += 1
            size += item["Size"]
    return Usage(objects, size)


def keys(client, bucket: str, prefix: str) -> list[str]:
    """Every key under prefix, in the service's (lexicographic) order."""
    _check_prefix(prefix)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", ())]


def folders(client, bucket: str, prefix: str) -> list[str]:
    """The "folders" just below prefix: the distinct key prefixes up to the next '/' (one listing entry each,
    however many objects they hold)."""
    _check_prefix(prefix)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
    return [item["Prefix"] for page in pages for item in page.get("CommonPrefixes", ())]


def delete_prefix(client, bucket: str, prefix: str) -> int:
    """Delete every object under prefix (for a fresh store); the number deleted.

    The keys are listed before the first delete, so the listing never runs over a changing prefix.
    Raises RuntimeError naming the first keys the service refused to delete.
    """
    doomed = keys(client, bucket, prefix)
    for start in range(0, len(doomed), DELETE_BATCH):
        batch = [{"Key": key} for key in doomed[start : start + DELETE_BATCH]]
        answer = client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        if answer.get("Errors"):
            failed = ", ".join(f"{e['Key']} ({e.get('Code')})" for e in answer["Errors"][:5])
            raise RuntimeError(f"could not delete {len(answer['Errors'])} objects in s3://{bucket}/: {failed}")
    return len(doomed)


def ensure_bucket(client, bucket: str) -> None:
    """Create the bucket unless it already exists (in the client's region: AWS refuses a bucket outside
    us-east-1 without its LocationConstraint)."""
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise
        region = client.meta.region_name
        where = {} if region in (None, "us-east-1") else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        client.create_bucket(Bucket=bucket, **where)
