"""A TCP proxy on 127.0.0.1 that gives loopback a network's round trip (``tc netem`` is not available).

Every chunk is forwarded half the round trip after it arrived, in each direction, so a request and its
response cost one round trip more than direct access, and chunks keep their order. A new connection
costs one more round trip before its first bytes reach the server, as a TCP handshake would. There is
no bandwidth limit and no loss: the model is a long, fast link.

The proxy runs in a process of its own: inside the benchmark's process it would
take the GIL from the client threads it is meant to delay, and a real network costs the client no CPU.
It listens on a socket the parent binds (port 0) and hands over, so the port is known at once and never
raced for. ``python -m imgbench.objectstore.proxy`` is that process.

Its own cost at 0 ms, against direct access (2026-12-01, 2-core AMD EPYC VM with other jobs running, load
average about 3; ``PYTHONPATH=workflow/scripts python benchmarks/s3_rates.py --sizes 3072 --concurrency 1 8
--delays 0 --requests 400 --repeats 3``, median of 3): 3 KB GETs 742/s direct, 479/s through the proxy at
one request in flight (+0.74 ms each), 1,083/s and 922/s at 8; PUTs 572/s and 474/s at 1, 677/s and
716/s at 8. So at 1 ms and more, the delay asked for dominates; at 0 ms the proxy is not "no network".
"""

import argparse
import queue
import select
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from imgbench.child import module_command
from imgbench.objectstore.subprocesses import spawn, stop_group

HOST = "127.0.0.1"
CHUNK_BYTES = 256 * 1024
READY_LINE = b"ready\n"
READY_TIMEOUT_SECONDS = 30
BACKLOG = 1024


class LatencyProxy:
    """Forwards 127.0.0.1:port to upstream (host, port), adding round_trip_ms to every exchange.

    Use it as a context manager; ``url`` is the proxy's http URL for an S3 client.
    """

    def __init__(self, upstream: tuple[str, int], round_trip_ms: float, log_path: Path | None = None):
        if round_trip_ms < 0:
            raise ValueError(f"round_trip_ms must be >= 0, not {round_trip_ms}")
        self.upstream, self.round_trip_ms, self.log_path = upstream, round_trip_ms, log_path
        self.port: int | None = None
        self._process = None

    def __enter__(self) -> "LatencyProxy":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        if self._process is not None:
            raise RuntimeError("the proxy is already running")
        listener = socket.create_server((HOST, 0), backlog=BACKLOG)
        try:
            self.port = listener.getsockname()[1]
            argv, env = module_command(
                "imgbench.objectstore.proxy", "--listen-fd", str(listener.fileno()),
                "--upstream", f"{self.upstream[0]}:{self.upstream[1]}", "--round-trip-ms", str(self.round_trip_ms),
            )  # fmt: skip
            self._process = spawn(
                argv, env=env, cwd=Path.cwd(), log_path=self.log_path, pass_fds=(listener.fileno(),), stdout_pipe=True
            )
        finally:
            listener.close()  # the child holds its own copy
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        readable, _, _ = select.select([self._process.stdout], [], [], READY_TIMEOUT_SECONDS)
        line = self._process.stdout.readline() if readable else b""
        self._process.stdout.close()
        if line != READY_LINE:
            where = f"; see {self.log_path}" if self.log_path else ""
            raise RuntimeError(f"the latency proxy did not start within {READY_TIMEOUT_SECONDS} s{where}")

    def stop(self) -> None:
        if self._process is not None:
            stop_group(self._process, timeout_seconds=10)
            self._process = None


# -- the proxy process -------------------------------------------------------------------------------
# Threads, not asyncio: asyncio's timers wait in epoll, whose timeout is whole milliseconds, so a 0.5 ms
# delay became about 1 ms (measured here: 1 ms asked, 2.3 ms more per GET); time.sleep is accurate to
# about 0.1 ms. Two threads per direction and connection: one receives, one sends when each chunk is due.


def _forward(source: socket.socket, target: socket.socket, one_way_seconds: float, not_before: float) -> None:
    """Copy source to target, each chunk (and the end of stream) sent one_way_seconds after it came.

    Nothing leaves before not_before (monotonic time). The queue lets chunks that arrive while earlier
    ones wait travel alongside them, as bytes in flight on a link do.
    """
    chunks: queue.SimpleQueue = queue.SimpleQueue()

    def send() -> None:
        try:
            while True:
                due, data = chunks.get()
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                if not data:
                    target.shutdown(socket.SHUT_WR)
                    return
                target.sendall(data)
        except OSError:
            _close(source, target)  # the far side went away: drop the connection, as a network would

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        while True:
            data = source.recv(CHUNK_BYTES)
            chunks.put((max(time.monotonic(), not_before) + one_way_seconds, data))
            if not data:
                break
    except OSError:
        chunks.put((0.0, b""))
    sender.join()


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _connect(client: socket.socket, upstream: tuple[str, int], one_way_seconds: float) -> None:
    accepted = time.monotonic()
    try:
        server = socket.create_connection(upstream)
    except OSError:
        client.close()
        return
    for sock in (client, server):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else Nagle holds small writes back
    # The handshake's round trip: the client's first bytes reach the server one round trip late.
    upward = threading.Thread(
        target=_forward, args=(client, server, one_way_seconds, accepted + 2 * one_way_seconds), daemon=True
    )
    upward.start()
    _forward(server, client, one_way_seconds, 0.0)
    upward.join()
    client.close()
    server.close()


def _serve(listener: socket.socket, upstream: tuple[str, int], round_trip_ms: float) -> None:
    one_way = round_trip_ms / 2000
    sys.stdout.buffer.write(READY_LINE)
    sys.stdout.flush()
    sys.stdout.close()  # the parent reads one line, then closes its end
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_connect, args=(client, upstream, one_way), daemon=True).start()


def _exit_on_signal(signum, frame):
    raise SystemExit(0)  # connection threads are daemons: they end with the process


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen-fd", type=int, required=True, help="a bound, listening TCP socket to accept on")
    parser.add_argument("--upstream", required=True, help="HOST:PORT to forward to")
    parser.add_argument("--round-trip-ms", type=float, required=True, help="delay added to every round trip")
    args = parser.parse_args(argv)
    host, _, port = args.upstream.rpartition(":")
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, _exit_on_signal)
    _serve(socket.socket(fileno=args.listen_fd), (host, int(port)), args.round_trip_ms)


if __name__ == "__main__":
    main()
