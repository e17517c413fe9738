"""A small HTTP/1.1 load generator for ``bench/serve.py``: asyncio over raw sockets.

Why not httpx or aiohttp: on a 2-core machine the client shares the CPU with the server it
measures, so every microsecond the client spends per request is taken from the server. This
client does the least an HTTP/1.1 client can: N persistent keep-alive connections for
concurrency N, each sending the same precomputed request bytes in a loop and parsing only the
status line, ``Content-Length`` (or a chunked body) and ``Connection: close``. No per-request
task, no per-request timer: a single watchdog cancels requests still in flight long after the
window ends (they count as failures).

One cell is a warm-up (results dropped) followed by a measuring window. A request is counted
when it *completes* inside the window, so requests/s is the steady-state completion rate;
latency is from just before the request is written to just after its body is read
(``time.perf_counter_ns``). Non-200 answers and connection errors count as failures at any
time in the cell (warm-up included). The client's own CPU time (``time.process_time``) and the
server's (its process tree, through psutil) are sampled at the window's edges, so one can see
whether the client or the server is the bottleneck.

Example:
    >>> req = post_request("127.0.0.1", 5000, "/invocations", b"{}")  # doctest: +SKIP
    >>> res = run_cell("127.0.0.1", 5000, req, concurrency=8, warmup=1, seconds=5)  # doctest: +SKIP
    >>> res.rps, res.p50_ms  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CellResult", "get_status", "post_request", "read_response", "run_cell"]

GRACE_SECONDS = 30.0
"""How long after the window a request in flight may still take before it counts as failed."""
ERRORS_KEPT = 5
"""How many distinct failure descriptions a cell keeps, for the report."""


def post_request(host: str, port: int, path: str, body: bytes, content_type: str = "") -> bytes:
    """The complete bytes of a keep-alive ``POST`` with ``body`` (JSON unless told otherwise).

    Example:
        >>> post_request("127.0.0.1", 80, "/x", b"{}").split(b"\\r\\n")[0]
        b'POST /x HTTP/1.1'
    """
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Content-Type: {content_type or 'application/json'}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            await _skip_trailers(reader)
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def _skip_trailers(reader: asyncio.StreamReader) -> None:
    while await reader.readuntil(b"\r\n") != b"\r\n":
        pass


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Read one response: (status, body, whether the connection may be reused).

    Raises:
        asyncio.IncompleteReadError, ValueError: the peer closed or sent something unparsable.
    """
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at >= 0:
        end = lower.index(b"\r\n", at + 2)
        body = await reader.readexactly(int(head[at + 17 : end]))
    elif b"\r\ntransfer-encoding: chunked" in lower:
        body = await _read_chunked(reader)
    else:  # no framing: the body runs to the end of the connection
        return status, await reader.read(), False
    return status, body, b"\r\nconnection: close" not in lower


@dataclass
class CellResult:
    """What one (server, request, concurrency) cell measured."""

    concurrency: int
    window_s: float
    latencies_ns: list[int] = field(default_factory=list)
    failures: int = 0
    errors: list[str] = field(default_factory=list)
    first_ok_body: bytes | None = None
    client_cpu_s: float = 0.0
    server_cpu_s: float | None = None

    @property
    def requests(self) -> int:
        """Requests that completed with 200 inside the window."""
        return len(self.latencies_ns)

    @property
    def rps(self) -> float:
        return self.requests / self.window_s

    def percentile_ms(self, q: float) -> float:
        """Nearest-rank percentile of the window's latencies, in ms (NaN when there are none)."""
        if not self.latencies_ns:
            return float("nan")
        ordered = sorted(self.latencies_ns)
        rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
        return ordered[rank - 1] / 1e6

    @property
    def p50_ms(self) -> float:
        return self.percentile_ms(50)

    @property
    def p99_ms(self) -> float:
        return self.percentile_ms(99)

    @property
    def client_us_per_request(self) -> float:
        return self.client_cpu_s / self.requests * 1e6 if self.requests else float("nan")

    @property
    def server_us_per_request(self) -> float | None:
        """The server's CPU time per request completed in the window, in us."""
        if self.server_cpu_s is None or not self.requests:
            return None
        return self.server_cpu_s / self.requests * 1e6

    @property
    def server_cpu_pct(self) -> float | None:
        """The server's CPU use over the window, in % of one core (its threads and children)."""
        if self.server_cpu_s is None:
            return None
        return self.server_cpu_s / self.window_s * 100

    def note_failure(self, what: str) -> None:
        self.failures += 1
        if len(self.errors) < ERRORS_KEPT and what not in self.errors:
            self.errors.append(what)

    def merge(self, other: CellResult) -> None:
        """Pool ``other`` (the same cell in a later round) into this one."""
        self.window_s += other.window_s
        self.latencies_ns.extend(other.latencies_ns)
        self.failures += other.failures
        for error in other.errors:
            if len(self.errors) < ERRORS_KEPT and error not in self.errors:
                self.errors.append(error)
        self.client_cpu_s += other.client_cpu_s
        if self.server_cpu_s is None or other.server_cpu_s is None:
            self.server_cpu_s = None
        else:
            self.server_cpu_s += other.server_cpu_s

    def as_dict(self) -> dict[str, Any]:
        """Summary figures for the JSON results (latencies are not kept, only percentiles)."""
        return {
            "concurrency": self.concurrency,
            "window_s": self.window_s,
            "requests": self.requests,
            "rps": self.rps,
            "p50_ms": self.p50_ms,
            "p90_ms": self.percentile_ms(90),
            "p99_ms": self.p99_ms,
            "max_ms": self.percentile_ms(100),
            "failures": self.failures,
            "errors": self.errors,
            "client_cpu_us_per_request": self.client_us_per_request,
            "server_cpu_us_per_request": self.server_us_per_request,
            "server_cpu_pct_of_one_core": self.server_cpu_pct,
        }


async def _connection(
    host: str, port: int, request: bytes, start_ns: int, end_ns: int, out: CellResult
) -> None:
    """One keep-alive connection sending ``request`` back to back until ``end_ns``."""
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    latencies = out.latencies_ns
    clock = time.perf_counter_ns
    while True:
        t0 = clock()
        if t0 >= end_ns:
            break
        try:
            if writer is None or reader is None:
                reader, writer = await asyncio.open_connection(host, port)
                t0 = clock()
            writer.write(request)
            status, body, reusable = await read_response(reader)
        except (OSError, EOFError, ValueError, asyncio.IncompleteReadError) as e:
            out.note_failure(f"{type(e).__name__}: {e}"[:200])
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
            continue
        t1 = clock()
        if status != 200:
            out.note_failure(f"HTTP {status}: {body[:150]!r}")
        else:
            if out.first_ok_body is None:
                out.first_ok_body = body
            if start_ns <= t1 <= end_ns:
                latencies.append(t1 - t0)
        if not reusable:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def _tree_cpu_seconds(pids: Sequence[int]) -> float | None:
    """User + system CPU seconds of the given processes and all their children, or None."""
    try:
        import psutil
    except ImportError:
        return None
    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            procs = [proc, *proc.children(recursive=True)]
        except psutil.Error:
            continue
        for p in procs:
            try:
                t = p.cpu_times()
            except psutil.Error:
                continue
            total += t.user + t.system
    return total


async def _cell(
    host: str,
    port: int,
    request: bytes,
    concurrency: int,
    warmup: float,
    seconds: float,
    server_pids: Sequence[int],
) -> CellResult:
    out = CellResult(concurrency=concurrency, window_s=seconds)
    begin = time.perf_counter_ns()
    start_ns = begin + int(warmup * 1e9)
    end_ns = start_ns + int(seconds * 1e9)
    tasks = [
        asyncio.create_task(_connection(host, port, request, start_ns, end_ns, out))
        for _ in range(concurrency)
    ]
    await asyncio.sleep(warmup)
    cpu0, server0 = time.process_time(), _tree_cpu_seconds(server_pids)
    await asyncio.sleep(max(0.0, (end_ns - time.perf_counter_ns()) / 1e9))
    cpu1, server1 = time.process_time(), _tree_cpu_seconds(server_pids)
    out.client_cpu_s = cpu1 - cpu0
    if server0 is not None and server1 is not None:
        out.server_cpu_s = server1 - server0
    _done, pending = await asyncio.wait(tasks, timeout=GRACE_SECONDS)
    for task in pending:
        task.cancel()
        out.note_failure(f"no answer within {GRACE_SECONDS:.0f} s after the window")
    if pending:
        await asyncio.wait(pending)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            out.note_failure(f"client error: {task.exception()!r}"[:200])
    return out


def run_cell(
    host: str,
    port: int,
    request: bytes,
    *,
    concurrency: int,
    warmup: float,
    seconds: float,
    server_pids: Sequence[int] = (),
) -> CellResult:
    """Drive ``concurrency`` keep-alive connections for ``warmup + seconds``; measure the window.

    Args:
        request: the complete request bytes (see :func:`post_request`), sent again and again.
        server_pids: processes whose CPU time (children included) is sampled over the window.
    """
    return asyncio.run(_cell(host, port, request, concurrency, warmup, seconds, server_pids))


def get_status(host: str, port: int, path: str, timeout: float = 1.0) -> int | None:
    """Status of a blocking ``GET path`` on a fresh connection, or None if it cannot connect.

    Used to poll ``/ping`` while a server starts: refused connections return None at once.
    """
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(request.encode("ascii"))
            head = b""
            while b"\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    return None
                head += chunk
    except OSError:
        return None
    try:
        return int(head[9:12])
    except ValueError:
        return None
