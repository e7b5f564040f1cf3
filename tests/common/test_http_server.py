"""The server protocol ``ansinh serve`` runs: every answer arrives whole and in order, small ones in one write."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from common.http_server import FLUSH_BYTES, CoalescingTransport
from common.testing import free_port, serve_in_background


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0


async def test_writes_of_one_loop_step_go_out_as_one() -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"ok")
    assert inner.writes == []
    await asyncio.sleep(0)
    assert inner.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]


async def test_a_large_body_is_not_held_back() -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"h")
    transport.write(b"x" * FLUSH_BYTES)
    assert inner.writes == [b"h" + b"x" * FLUSH_BYTES]  # at once: the transport's flow control sees it


async def test_close_sends_what_was_written_first() -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"last words")
    transport.close()
    assert inner.writes == [b"last words"]
    assert inner.closed
    await asyncio.sleep(0)
    assert inner.writes == [b"last words"]  # not twice


@pytest.mark.parametrize("chunks", [[b"a"], [b"a", b"b", b""], [b"x" * 100_000, b"y" * 3, b"z" * 70_000]])
async def test_answers_arrive_whole_over_tcp(chunks: list[bytes]) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for chunk in chunks[:-1]:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": chunks[-1]})

    async with serve_in_background(app, free_port()) as base, httpx.AsyncClient() as client:
        for _ in range(3):  # the same keep-alive connection, answer after answer
            response = await client.get(f"{base}/")
            assert response.status_code == 200
            assert response.content == b"".join(chunks)
