"""The hub reuses kept-alive connections to a receiver; one the receiver closes just as it is reused (its idle
timeout, a restart) does not cost the event a failed attempt and a backoff: it is sent again at once."""

from __future__ import annotations

import asyncio
import socket
import uuid

from sqlalchemy import text

from common.events.inbox import INBOX_PATH
from gateway.events import repository
from gateway.events.service import new_secret
from tests.gateway.test_hub import event, service_auth, wait_until


class ClosingReceiver:
    """Answers the first request of each connection with 200 and keeps it open; resets the connection when a
    second request arrives on it (what a server whose keep-alive just ended does with a request in flight)."""

    def __init__(self) -> None:
        self.answered: list[str] = []  # the paths of the requests answered
        self.resets = 0
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            self.answered.append(await self.read_request(reader))
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
            await writer.drain()
            await reader.readuntil(b"\r\n")  # the next request on this connection: reset it unanswered
            self.resets += 1
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            writer.transport.abort()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    @staticmethod
    async def read_request(reader: asyncio.StreamReader) -> str:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        await reader.readexactly(length)
        return head.split(b" ", 2)[1].decode()


async def test_a_connection_closed_by_the_receiver_as_it_is_reused_costs_no_attempt(door, http):
    receiver = ClosingReceiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tag = f"s{uuid.uuid4().hex[:8]}"
    async with door.gateway.state.sessionmaker() as s, s.begin():
        url = f"http://127.0.0.1:{port}{INBOX_PATH}"
        await repository.upsert_internal(s, f"{tag}-inbox", url, [f"registry.{tag}.*"], new_secret())
        sub_id = (await repository.get_internal(s, f"{tag}-inbox")).id

    async def delivery(event_id: str):  # type: ignore[no-untyped-def]
        async with door.gateway.state.sessionmaker() as s:
            row = (
                await s.execute(
                    text(
                        "SELECT status, attempts, last_error FROM gateway.deliveries"
                        " WHERE event_id = :e AND subscription_id = :s"
                    ),
                    {"e": uuid.UUID(event_id), "s": sub_id},
                )
            ).first()
        return row if row is not None and row.status != "pending" else None

    try:
        for seq in (1, 2, 3):  # each event after the previous one was delivered: the same connection is reused
            sent = event(f"registry.{tag}.happened.v1", subject=f"{tag}-{seq}", seq=1)
            r = await http.post("/events", json=[sent], headers=await service_auth(door))
            assert r.status_code == 200, r.text
            row = await wait_until(lambda: delivery(sent["id"]))  # noqa: B023
            assert (row.status, row.attempts, row.last_error) == ("delivered", 1, None)
        assert receiver.resets >= 1  # a kept-alive connection was reused and reset…
        # …and each event still went in the batch that was sent: not one by one, as after a failed batch.
        assert receiver.answered == [f"{INBOX_PATH}/batch"] * 3
    finally:
        async with door.gateway.state.sessionmaker() as s, s.begin():
            await repository.end_subscriptions(s, sub_id=sub_id)
        server.close()
        await server.wait_closed()
