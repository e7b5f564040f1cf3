"""uvicorn's httptools protocol, writing each answer in one system call instead of one per ASGI message.

uvicorn writes the status line and headers (``http.response.start``) and then every body message to the socket as
they come: a small answer costs two ``send`` calls, and on loopback each one also runs the peer's TCP receive path
in the sender's CPU time. Measured with py-spy on the gateway under wrk (docs/benchmarks.md), those writes were the
largest single cost of a proxied request after the event loop itself. Here what an app writes within one step of
the event loop is joined and written once at the end of that step (``loop.call_soon``): the same bytes in the same
order, a few microseconds later. A large body is never held: past ``FLUSH_BYTES`` the pending bytes go out at once,
so the transport's own flow control (``pause_writing``) applies exactly as before.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

FLUSH_BYTES = 64 * 1024


class CoalescingTransport:
    """Delegates to ``transport``; ``write`` is deferred to the end of the current event-loop step and joined."""

    __slots__ = ("_transport", "_loop", "_pending", "_size")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))
        self._size += len(data)
        if self._size >= FLUSH_BYTES:
            self.flush()

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        self._size = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()  # what was written before close is still sent, as by the transport itself
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._size = 0
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._size + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """``uvicorn.run(..., http=CoalescingHttpToolsProtocol)``: httptools, one write per answer (see the module)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        wrapped: Any = CoalescingTransport(transport, self.loop)
        super().connection_made(wrapped)
