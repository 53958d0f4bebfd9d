"""S3 clients (boto3) for the local server or an existing S3 service, set up so failures show.

boto3 is what training data loaders use (LitData, MosaicML streaming, torchdata's S3 readers), so the
per-request cost we measure is the one their users pay. One client is thread-safe and shares a pool of
``max_pool_connections`` keep-alive connections; size it to the requests in flight (1, 8, 32).
"""

import os
from dataclasses import dataclass, field

import boto3
from botocore.config import Config

DEFAULT_REGION = "us-east-1"
CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Credentials:
    """An access key pair; the secret stays out of repr, so logging an endpoint never prints it."""

    access_key_id: str
    secret_access_key: str = field(repr=False)


@dataclass(frozen=True)
class Endpoint:
    """Where the S3 API answers, and how to sign requests to it.

    ``credentials=None`` means boto3's usual chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and
    AWS_SESSION_TOKEN), AWS_PROFILE and the shared config files, then instance or container roles.
    """

    url: str
    region: str = DEFAULT_REGION
    credentials: Credentials | None = None
    addressing_style: str = "path"  # what local and most S3-compatible servers need; AWS accepts it too

    def environment(self) -> dict[str, str]:
        """The standard AWS variables that make plain ``boto3.client("s3")`` reach this endpoint.

        For worker processes: pass them as the child's environment (never set them in this process).
        """
        env = {"AWS_ENDPOINT_URL_S3": self.url, "AWS_DEFAULT_REGION": self.region}
        if self.credentials is not None:
            env["AWS_ACCESS_KEY_ID"] = self.credentials.access_key_id
            env["AWS_SECRET_ACCESS_KEY"] = self.credentials.secret_access_key
        return env

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> "Endpoint":
        """The endpoint that ``environment()`` described (in a worker process)."""
        environ = os.environ if environ is None else environ
        url = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
        if not url:
            raise ValueError("no S3 endpoint in the environment: set AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL)")
        credentials = None
        if environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"):
            credentials = Credentials(environ["AWS_ACCESS_KEY_ID"], environ["AWS_SECRET_ACCESS_KEY"])
        return cls(url, environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION, credentials)


def remote_endpoint(url: str, region: str | None = None, addressing_style: str = "path") -> Endpoint:
    """An existing S3 service (``storage.s3.endpoint: URL``): credentials from the AWS environment/profile."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"storage.s3.endpoint must be 'local' or an http(s) URL, not {url!r}")
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    return Endpoint(url.rstrip("/"), region, None, addressing_style)


def make_client(
    endpoint: Endpoint,
    max_pool_connections: int = 10,
    profile: str | None = None,
    connect_timeout_seconds: float = CONNECT_TIMEOUT_SECONDS,
    read_timeout_seconds: float = READ_TIMEOUT_SECONDS,
):
    """A boto3 S3 client for the endpoint with a pool of max_pool_connections connections.

    No retries: a throttled or failed request raises instead of being repeated inside a timed read.
    Checksums only where the API requires them (DeleteObjects): botocore's default CRC32 on every
    PUT and GET body costs client CPU and is off in most S3-compatible setups.
    """
    if max_pool_connections < 1:
        raise ValueError(f"max_pool_connections must be at least 1, not {max_pool_connections}")
    config = Config(
        region_name=endpoint.region,
        signature_version="s3v4",
        s3={"addressing_style": endpoint.addressing_style},
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=max_pool_connections,
        connect_timeout=connect_timeout_seconds,
        read_timeout=read_timeout_seconds,
        tcp_keepalive=True,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    keys = {}
    if endpoint.credentials is not None:
        keys = {
            "aws_access_key_id": endpoint.credentials.access_key_id,
            "aws_secret_access_key": endpoint.credentials.secret_access_key,
        }
    # A session of its own: boto3's default session is module state shared by every caller.
    session = boto3.session.Session(profile_name=profile) if profile and not keys else boto3.session.Session()
    return session.client("s3", endpoint_url=endpoint.url, config=config, **keys)
