"""Hub events become visible to the feed in position order, even when two publishing transactions overlap."""

from __future__ import annotations

import asyncio
import time
import uuid

from sqlalchemy import text

from common.events.envelope import new_event
from gateway.events import repository


def event(subject: str) -> dict:
    return {**new_event("/ansinh/registry", "registry.person.registered.v1", subject, {"n": 1}), "sequence": 1}


async def waiting_on_the_store_lock(maker) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 10
    async with maker() as s:
        while not await s.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")):
            assert time.monotonic() < deadline, "the second publisher never waited for the first"
            await asyncio.sleep(0.02)


async def test_a_later_publisher_waits_so_a_feed_reader_never_skips_an_earlier_position(door):
    maker = door.gateway.state.sessionmaker
    prefix = f"order-{uuid.uuid4().hex[:6]}"
    first, second = event(f"{prefix}-a"), event(f"{prefix}-b")

    async def publish_and_commit(e: dict) -> None:
        async with maker() as s:
            await repository.store_events(s, [e])
            await s.commit()

    async def visible() -> list[str]:
        async with maker() as reader:
            rows = await repository.feed(reader, ["registry.person.%"], None, 0, 10_000)
        return [r.subject for r in rows if r.subject.startswith(prefix)]

    async with maker() as a:
        await repository.store_events(a, [first])  # takes its position first, commits last
        later = asyncio.create_task(publish_and_commit(second))
        await waiting_on_the_store_lock(maker)
        assert await visible() == []  # the later event is not visible ahead of the earlier one
        await a.commit()
    await later
    assert await visible() == [f"{prefix}-a", f"{prefix}-b"]
