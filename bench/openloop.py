"""An open-loop load generator: requests sent at a fixed arrival rate over a fixed number of connections, each
request's latency measured from the time it was *scheduled*, not from the time a connection was free to send it.

wrk (closed loop) sends the next request on a connection only when the previous answer arrived, so when the server
slows down the load falls with it and the waiting that a real arrival would have done is not counted (coordinated
omission). Here request ``i`` is due at ``start + i / rate`` whatever happens: when all connections are busy it waits
in a queue, and that wait is part of its latency.

Plain HTTP/1.1 keep-alive over asyncio streams (a GET with fixed headers; answers with a Content-Length or chunked),
so the generator itself stays cheap next to the processes it measures.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class OpenLoopResult:
    rate: float
    """the arrival rate asked for (requests per second)"""
    sent: int
    completed: int
    achieved_per_s: float
    """answers per second over the run (first scheduled send to last answer)"""
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    """answers other than 200, and connection failures"""

    def __str__(self) -> str:
        return (
            f"open loop {self.rate:,.0f}/s: achieved {self.achieved_per_s:,.0f}/s, p50 {self.p50_ms:.1f} ms, "
            f"p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms, {self.errors} errors of {self.sent}"
        )


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 answer; return its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked = None, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if length is not None:
        await reader.readexactly(length)
    elif chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def open_loop(
    url: str, headers: dict[str, str], rate: float, seconds: float, connections: int = 32
) -> OpenLoopResult:
    """GET ``url`` ``rate`` times a second for ``seconds`` over ``connections`` keep-alive connections."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    total = int(rate * seconds)
    due: asyncio.Queue[float | None] = asyncio.Queue()
    latencies: list[float] = []
    errors = 0
    last_done = 0.0

    async def worker() -> None:
        nonlocal errors, last_done
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while (scheduled := await due.get()) is not None:
                try:
                    writer.write(request)
                    status = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                now = time.perf_counter()
                last_done = now
                if status != 200:
                    errors += 1
                latencies.append(now - scheduled)
        finally:
            writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    await asyncio.sleep(0.2)  # connections open before the clock starts
    start = time.perf_counter()
    for i in range(total):
        at = start + i / rate
        wait = at - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        due.put_nowait(at)  # a late wake-up still records the request as due at ``at``
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    ordered = sorted(latencies)
    elapsed = max(last_done - start, 1e-9)
    return OpenLoopResult(
        rate=rate,
        sent=total,
        completed=len(latencies),
        achieved_per_s=len(latencies) / elapsed,
        p50_ms=_percentile(ordered, 0.50) * 1000,
        p99_ms=_percentile(ordered, 0.99) * 1000,
        max_ms=(ordered[-1] if ordered else float("nan")) * 1000,
        errors=errors,
    )


def run_open_loop(
    url: str, headers: dict[str, str], rate: float, seconds: float, connections: int = 32
) -> OpenLoopResult:
    """:func:`open_loop` on an event loop of its own (uvloop when installed)."""
    try:
        import uvloop

        return uvloop.run(open_loop(url, headers, rate, seconds, connections))
    except ImportError:
        return asyncio.run(open_loop(url, headers, rate, seconds, connections))
