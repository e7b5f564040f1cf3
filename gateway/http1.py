"""A lean keep-alive HTTP/1.1 client for the proxy path: asyncio Protocols and httptools' response parser.

The proxy needs little of a general HTTP client: one host per pool, bytes in and bytes out, no cookies, redirects,
compression or URL objects. ``aiohttp.ClientSession`` did all of that on every request and was about half of the
gateway's CPU per proxied request (docs/benchmarks.md). Here a request is one ``transport.write`` of bytes the proxy
built, and the response is parsed by httptools (llhttp, C) straight into a status, a header list and body chunks.

- :class:`Pool`: per upstream, keep-alive connections reused last-in first-out, at most ``limit`` in use at once
  (further requests wait for one), an idle connection kept ``keepalive`` seconds; a connection the service closed
  while idle is noticed (``connection_lost``) and never handed out.
- :class:`Connection`: one exchange at a time. Backpressure both ways: :meth:`Connection.write` waits while the
  kernel's buffer is full (a 20 MB upload is not held in memory), and reading pauses while more than
  :data:`HIGH_WATER` bytes of body wait for the consumer (a streamed download is not either).
- Timeouts: ``connect_timeout`` to open a connection (:class:`ConnectTimeout`); ``read_timeout`` of silence while
  waiting on the service, for the answer or for room to write (:class:`ReadTimeout`).
- Failures say what the service can have seen (:class:`ConnectionLost`): whether the connection was reset (the
  service closed it with the request unread) or closed cleanly, and whether any byte of the answer arrived. The proxy
  decides from that whether a request may be sent again.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import Any, cast
from urllib.parse import urlsplit

import httptools

HIGH_WATER = 256 * 1024
"""Body bytes buffered from the service before reading pauses (backpressure from a slow client)."""


class UpstreamError(Exception):
    """The exchange with the service failed."""


class ConnectFailed(UpstreamError):
    """No connection could be opened (refused, unreachable, name not found)."""


class ConnectTimeout(UpstreamError, TimeoutError):
    """The connection did not open within ``connect_timeout``."""


class ReadTimeout(UpstreamError, TimeoutError):
    """The service was silent for ``read_timeout`` while it was waited on."""


class BadResponse(UpstreamError):
    """The service's answer is not valid HTTP/1.1."""


class ConnectionLost(UpstreamError):
    """The connection ended before the answer did. ``reset``: the peer reset it (or a write found it closed) —
    with no byte of the answer received, the service closed it without reading the request."""

    def __init__(self, reset: bool, answered: bool) -> None:
        super().__init__("connection reset" if reset else "connection closed")
        self.reset = reset
        self.answered = answered


class Connection(asyncio.Protocol):
    """One keep-alive connection to a service, and the state of the exchange on it."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.loop = pool.loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.reused = False
        """Served an exchange before this one (a failure may then be a stale connection)."""
        self.idle_since = 0.0
        self.busy = False
        self.error: BaseException | None = None
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.complete = False
        self.keep_alive = True
        self.answered = False
        self.chunks: list[bytes] = []
        self.buffered = 0
        self._interim = False
        self._until_eof = False
        self._head_only = False
        self._read_paused = False
        self._write_paused = False
        self._sent = False
        self._waiter: asyncio.Future[None] | None = None

    # --- exchange, used by the proxy ---------------------------------------------------------------------------

    def begin(self, head_only: bool = False) -> None:
        """Start an exchange (``head_only``: a HEAD request, whose answer has no body whatever its headers say)."""
        self.busy = True
        self.status = 0
        self.headers = []
        self.head_done = self.complete = self.answered = False
        self.keep_alive = True
        self.chunks = []
        self.buffered = 0
        self._until_eof = False
        self._head_only = head_only
        self._sent = False

    async def write(self, data: bytes) -> None:
        """Send bytes; wait while the kernel's buffer is full. Stops (without error) once the service has answered:
        the rest of the request is not wanted, and the connection is not reused."""
        if self.error is not None:
            raise self.error
        if self.head_done:
            self.keep_alive = False
            return
        transport = self.transport
        if transport is None or self.closed or transport.is_closing():
            # Closed under us before the loop told connection_lost: if nothing of this request went out, the service
            # cannot have read it.
            raise ConnectionLost(reset=not self._sent, answered=self.answered)
        transport.write(data)
        self._sent = True
        while self._write_paused and self.error is None and not self.head_done:
            await self._wait()
        if self.error is not None:
            raise self.error

    async def read_head(self) -> None:
        """Wait for the status line and headers."""
        while not self.head_done:
            if self.error is not None:
                raise self.error
            await self._wait()

    def take(self) -> bytes:
        """The body bytes received so far (and reading resumed if it was paused)."""
        chunks = self.chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self.chunks = []
        self.buffered = 0
        if self._read_paused and self.transport is not None:
            self._read_paused = False
            self.transport.resume_reading()
        return data

    async def read(self) -> bytes:
        """The next body bytes; b"" once the answer is complete."""
        while not self.chunks:
            if self.complete:
                return b""
            if self.error is not None:
                raise self.error
            await self._wait()
        return self.take()

    async def read_all(self) -> bytes:
        while not self.complete:
            if self.error is not None:
                raise self.error
            await self._wait()
        return self.take()

    def reusable(self) -> bool:
        return self.complete and self.keep_alive and not self.closed and self.error is None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    async def _wait(self) -> None:
        waiter = self._waiter = self.loop.create_future()
        timer = self.loop.call_later(self.pool.read_timeout, _time_out, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # --- asyncio.Protocol ----------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio's classes

    def data_received(self, data: bytes) -> None:
        if not self.busy:  # nothing asked: a service does not speak first; not a connection to reuse
            self.close()
            return
        self.answered = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(BadResponse(f"invalid answer: {exc}"))
            self.close()

    def eof_received(self) -> bool:
        self.closed = True  # never handed out again; connection_lost follows
        if self.busy and self._until_eof and self.head_done and not self.complete:
            self.complete = True  # an answer without length ends with the connection
            self.keep_alive = False
            self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.busy and not self.complete:
            reset = isinstance(exc, ConnectionResetError | BrokenPipeError)
            self._fail(ConnectionLost(reset=reset, answered=self.answered))
        self._wake()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake()

    # --- httptools callbacks ---------------------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._interim:
            self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:  # 100 Continue and the like: the answer is still to come
            self._interim = True
            self.headers = []
            return
        self.status = status
        self.head_done = True
        self.keep_alive = self.parser.should_keep_alive()
        if self._head_only:  # llhttp would wait for the body its Content-Length announces: none comes
            self.complete = True
            self.keep_alive = False
        elif status not in (204, 304):
            self._until_eof = not any(name in (b"content-length", b"transfer-encoding") for name, _ in self.headers)
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self._head_only:
            return
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and not self._read_paused and self.transport is not None:
            self._read_paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            return
        self.complete = True
        self._wake()

    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
        self._wake()


def _time_out(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(ReadTimeout("the service was silent too long"))


class Pool:
    """Keep-alive connections to one service (``base_url``: ``http://host:port`` or ``https://…``)."""

    def __init__(
        self, base_url: str, *, limit: int, keepalive: float, connect_timeout: float, read_timeout: float
    ) -> None:
        url = urlsplit(base_url)
        self.host = url.hostname or "127.0.0.1"
        self.ssl: ssl.SSLContext | None = ssl.create_default_context() if url.scheme == "https" else None
        self.port = url.port or (443 if self.ssl else 80)
        default = 443 if self.ssl else 80
        self.host_header = (url.netloc if url.port != default else url.hostname or "").encode("idna")
        self.limit = limit
        self.keepalive = keepalive
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.loop = asyncio.get_running_loop()
        self.idle: list[Connection] = []
        self.in_use = 0
        self._queue: deque[asyncio.Future[None]] = deque()
        self._closed = False

    async def acquire(self, fresh: bool = False) -> Connection:
        """A pooled connection, or a new one (always new with ``fresh``)."""
        while self.in_use >= self.limit:
            waiter = self.loop.create_future()
            self._queue.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter in self._queue:
                    self._queue.remove(waiter)
                elif waiter.done() and not waiter.cancelled():
                    self._next()  # woken but leaving: pass the turn on
                raise
        self.in_use += 1
        if not fresh:
            now = self.loop.time()
            idle = self.idle
            while idle:
                conn = idle.pop()
                if conn.closed or now - conn.idle_since > self.keepalive:
                    conn.close()
                    continue
                conn.reused = True
                return conn
        try:
            return await self._connect()
        except BaseException:
            self.in_use -= 1
            self._next()
            raise

    def release(self, conn: Connection, reuse: bool) -> None:
        """The exchange is over: the connection goes back to the pool (``reuse``, when it may) or is closed."""
        self.in_use -= 1
        conn.busy = False
        if reuse and conn.reusable() and len(self.idle) < self.limit and not self._closed:
            conn.idle_since = self.loop.time()
            conn.error = None
            self.idle.append(conn)
        else:
            conn.close()
        self._next()

    def _next(self) -> None:
        while self._queue:
            waiter = self._queue.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _connect(self) -> Connection:
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, conn = await self.loop.create_connection(
                    lambda: Connection(self),
                    self.host,
                    self.port,
                    ssl=self.ssl,
                    server_hostname=self.host if self.ssl else None,
                )
        except TimeoutError as exc:
            raise ConnectTimeout(f"no connection to {self.host}:{self.port} within {self.connect_timeout} s") from exc
        except OSError as exc:
            raise ConnectFailed(f"{self.host}:{self.port}: {exc}") from exc
        return conn

    def close(self) -> None:
        """Close the idle connections; those in use close when their exchange ends."""
        self._closed = True
        for conn in self.idle:
            conn.close()
        self.idle.clear()

    def stats(self) -> dict[str, Any]:
        return {"idle": len(self.idle), "in_use": self.in_use, "waiting": len(self._queue)}
