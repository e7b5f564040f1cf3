"""The relay against a stand-in hub: batches, backoff while the hub is down, one sender at a time."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from common.events.envelope import new_event
from common.events.outbox import publish
from common.events.relay import Relay
from common.settings import to_asyncpg_url
from common.testing import free_port, serve_in_background
from services.insurance.models import EVENT_TABLES as T


class StandInHub:
    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.batches: list[int] = []
        self.down = False
        self.in_flight = 0
        self.max_in_flight = 0
        self.app = FastAPI()

        @self.app.post("/auth/token")
        async def token() -> dict:
            return {"access_token": "t", "token_type": "Bearer", "expires_in": 300}

        @self.app.post("/events")
        async def events(request: Request) -> Response:
            if self.down:
                return Response(status_code=503)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                batch = await request.json()
                await asyncio.sleep(0.01)  # a slow hub gives two senders every chance to overlap
                self.received.update(e["id"] for e in batch)
                self.batches.append(len(batch))
            finally:
                self.in_flight -= 1
            return Response(status_code=200)


@pytest.fixture
async def engine(test_db):
    engine = create_async_engine(to_asyncpg_url(test_db.urls["insurance"]))
    async with engine.begin() as conn:  # start from an empty outbox
        await conn.execute(T.outbox.delete())
    yield engine
    await engine.dispose()


async def fill(engine, n: int) -> set[str]:
    ids = set()
    async with async_sessionmaker(engine)() as s, s.begin():
        for i in range(n):
            ev = await publish(
                s,
                T,
                new_event(
                    "/ansinh/insurance",
                    "insurance.canary.v1",
                    f"r-{i % 7}",
                    {"note": "", "published_at": "2026-01-01T00:00:00+00:00"},
                ),
            )
            ids.add(str(ev.id))
    return ids


async def outbox_size(engine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(T.outbox)))


async def wait_empty(engine, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while await outbox_size(engine):
        assert time.monotonic() < deadline, "outbox not drained"
        await asyncio.sleep(0.05)


async def test_two_replicas_send_each_event_once_in_batches(engine):
    hub = StandInHub()
    async with serve_in_background(hub.app, free_port()) as url:
        relays = [
            Relay(
                engine,
                T,
                gateway_url=url,
                client_id="svc-insurance",
                client_secret="s",
                batch_size=50,
                poll_seconds=0.1,
            )
            for _ in range(2)
        ]
        ids = await fill(engine, 400)
        for r in relays:
            await r.start()
        try:
            await wait_empty(engine)
        finally:
            for r in relays:
                await r.stop()
    assert set(hub.received) == ids
    assert max(hub.received.values()) == 1, "an event was sent twice"
    assert hub.max_in_flight == 1  # one sender at a time keeps each subject in order at the hub
    assert max(hub.batches) <= 50 and len(hub.batches) >= 8


async def test_hub_down_then_back_nothing_lost(engine):
    hub = StandInHub()
    hub.down = True
    async with serve_in_background(hub.app, free_port()) as url:
        relay = Relay(
            engine, T, gateway_url=url, client_id="svc-insurance", client_secret="s", poll_seconds=0.1, max_backoff=0.3
        )
        await relay.start()
        try:
            ids = await fill(engine, 30)
            await asyncio.sleep(0.8)
            assert await outbox_size(engine) == 30 and not hub.received  # kept while the hub is down
            hub.down = False
            await wait_empty(engine)
        finally:
            await relay.stop()
    assert set(hub.received) == ids and max(hub.received.values()) == 1


async def test_a_relay_that_loses_its_listening_connection_listens_again(engine):
    hub = StandInHub()
    async with serve_in_background(hub.app, free_port()) as url:
        # The fallback poll is longer than the test: only LISTEN/NOTIFY can bring these events over.
        relay = Relay(engine, T, gateway_url=url, client_id="svc-insurance", client_secret="s", poll_seconds=600)
        await relay.start()
        try:
            first = await fill(engine, 3)
            await wait_empty(engine)
            lost = relay._listener
            assert lost is not None
            async with engine.begin() as conn:  # the database drops the relay's listening connection
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost.get_server_pid()})
            deadline = time.monotonic() + 20
            while relay._listener is lost or relay._listener is None or relay._listener.is_closed():
                assert time.monotonic() < deadline, "the relay did not listen again"
                await asyncio.sleep(0.05)
            second = await fill(engine, 3)
            await wait_empty(engine)
        finally:
            await relay.stop()
    assert set(hub.received) == first | second
