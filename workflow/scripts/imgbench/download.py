"""Download the archive: streamed to a .part file, held to a speed floor, md5-checked, then moved into place."""

import hashlib
import http.client
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from imgbench.errors import BenchmarkError
from imgbench.progress import progress

BLOCK_BYTES = 1 << 20
HOW_TO_PROCEED = (
    "To proceed, either place the archive by hand at {target} (it is still checked), fix dataset.url / "
    "dataset.md5 in the config, or set dataset.source: synthetic to use the generated stand-in."
)


class TransferTooSlow(Exception):
    def __init__(self, received: int, seconds: float):
        super().__init__(received, seconds)
        self.received, self.seconds = received, seconds


class SpeedFloor:
    """Fails a transfer that brings fewer than `limit` bytes/s over a stretch of `seconds`, as curl's
    --speed-limit/--speed-time do: a per-read timeout alone lets a server sending a byte now and then hold the
    job forever. Stretches are counted from the start and restart after every check that passes."""

    def __init__(self, limit: int, seconds: float):
        self.limit, self.seconds = limit, seconds
        self._start, self._received = time.monotonic(), 0

    def passed(self, received: int) -> None:
        self._received += received
        elapsed = time.monotonic() - self._start
        if elapsed < self.seconds:
            return
        if self._received < self.limit * elapsed:
            raise TransferTooSlow(self._received, elapsed)
        self._start, self._received = time.monotonic(), 0

    def stalled(self) -> TransferTooSlow:
        """For a read that timed out: nothing came for `seconds` (the socket timeout)."""
        return TransferTooSlow(self._received, time.monotonic() - self._start)


def download(url: str, target: Path, md5: str, *, speed_limit: int, speed_time: float) -> None:
    """Stream url to a temporary file beside target, check its md5, and only then move it into place; fail when
    fewer than speed_limit bytes/s arrive over speed_time seconds. Nothing is left behind on failure."""
    target = Path(target)
    partial = partial_path(target)
    advice = HOW_TO_PROCEED.format(target=target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = _fetch(url, partial, SpeedFloor(speed_limit, speed_time), advice)
        if digest != md5.lower():
            raise BenchmarkError(
                f"checksum mismatch for the archive downloaded from {url}: expected md5 {md5}, "
                f"found {digest}; nothing was kept. " + advice
            )
        os.replace(partial, target)
    except TransferTooSlow as slow:
        raise BenchmarkError(
            f"download of {url} stopped: {slow.received} bytes arrived in {slow.seconds:.0f} s, fewer than "
            f"dataset.download_speed_limit ({speed_limit} bytes/s) over dataset.download_speed_time "
            f"({speed_time} s); nothing was kept. Try again later, lower download_speed_limit or raise "
            "download_speed_time for a slow link. " + advice
        ) from None
    except OSError as error:  # network errors are BenchmarkErrors by now: this is the local file
        raise BenchmarkError(
            f"cannot write the download to {partial}: {error.strerror or error}; nothing was kept. "
            "Free space in (or permission to write to) that directory, then run again."
        ) from error
    finally:
        partial.unlink(missing_ok=True)


def partial_path(target: Path) -> Path:
    """Where a download is written until its md5 is checked."""
    return target.with_name(target.name + ".part")


def remove_stale_partial(archive: Path) -> None:
    """A download killed part-way (kill -9) leaves its .part file; once the archive is in place no download runs
    that would remove it."""
    partial_path(Path(archive)).unlink(missing_ok=True)


def _fetch(url: str, partial: Path, floor: SpeedFloor, advice: str) -> str:
    digest, received = hashlib.md5(), 0
    with _open(url, floor, advice) as response, open(partial, "wb") as out:
        expected = _announced_bytes(response)
        with progress(total=expected, desc="download", unit="B", unit_scale=True) as bar:
            while block := _read_block(url, response, floor, advice):
                out.write(block)
                digest.update(block)
                bar.update(len(block))
                received += len(block)
                floor.passed(len(block))
    if expected is not None and received < expected:
        raise BenchmarkError(
            f"download of {url} failed: the connection closed after {received} of {expected} bytes; "
            "nothing was kept. Run again to retry. " + advice
        )
    return digest.hexdigest()


def _announced_bytes(response) -> int | None:
    try:
        return int(response.headers.get("Content-Length") or 0) or None
    except ValueError:  # a malformed header: read until the server closes
        return None


def _open(url: str, floor: SpeedFloor, advice: str):
    """The response, with its socket timeout at the speed time (a silent server is a stalled transfer)."""
    try:
        return urllib.request.urlopen(url, timeout=floor.seconds)
    except urllib.error.HTTPError as error:
        raise BenchmarkError(f"download of {url} failed: HTTP {error.code} {error.reason}. " + advice) from error
    except (http.client.InvalidURL, ValueError) as error:  # ValueError: "unknown url type", bad IPv6 brackets
        raise BenchmarkError(f"dataset.url {url!r} is not a valid URL ({error}). " + advice) from error
    except TimeoutError as error:  # the server accepted the connection but sent no response
        raise floor.stalled() from error
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            raise floor.stalled() from error
        if urllib.parse.urlsplit(url).scheme == "file":
            path = urllib.request.url2pathname(urllib.parse.urlsplit(url).path)
            problem = reason.strerror if isinstance(reason, OSError) else reason
            raise BenchmarkError(f"download of {url} failed: cannot read {path}: {problem}. " + advice) from error
        raise BenchmarkError(
            f"download of {url} failed: {reason} (no network, or the host is unreachable). " + advice
        ) from error


def _read_block(url: str, response, floor: SpeedFloor, advice: str) -> bytes:
    # read1 returns what has arrived (read(n) would wait for n bytes), so a trickle is seen as it comes.
    try:
        return response.read1(BLOCK_BYTES)
    except TimeoutError as error:
        raise floor.stalled() from error
    except (OSError, http.client.HTTPException) as error:
        raise BenchmarkError(
            f"download of {url} failed part-way: {error}; nothing was kept. Run again to retry. " + advice
        ) from error
