"""The hub's retention: delivered deliveries go after their days, events only when set, never the latest of a subject,
never one still to be delivered; a service prunes canary receipts and, when set, old inbox rows."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from common import clock
from common.events import retention as service_retention
from common.events.envelope import new_event
from common.settings import to_asyncpg_url
from gateway.events import repository, retention
from services.payments.models import EVENT_TABLES


def event(subject: str) -> dict:
    return {**new_event("/ansinh/registry", "registry.person.registered.v1", subject, {"n": 1}), "sequence": 1}


@pytest.fixture
async def hub(test_db):
    """A gateway session in a transaction rolled back at the end."""
    engine = create_async_engine(to_asyncpg_url(test_db.urls["gateway"]))
    async with engine.connect() as conn:
        outer = await conn.begin()
        session = async_sessionmaker(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")()
        # Only this test's subscriptions count: the session's other tests leave internal ones (the services' inboxes,
        # e.g. insurance's for registry.person.*) whose deliveries would refer to the events here.
        await session.execute(text("UPDATE gateway.subscriptions SET deleted_at = now() WHERE deleted_at IS NULL"))
        yield session
        await outer.rollback()
    await engine.dispose()


async def age(session, table: str, column: str, days: int, where: str, params: dict) -> None:  # type: ignore[no-untyped-def]
    await session.execute(
        text(f"UPDATE gateway.{table} SET {column} = {column} - make_interval(days => :d) WHERE {where}"),
        {"d": days, **params},
    )


async def test_old_delivered_deliveries_go_pending_and_dead_ones_stay(hub):
    s = hub
    sub = uuid.uuid4()
    await s.execute(
        text(
            "INSERT INTO gateway.subscriptions (id, url, types, secret, owner, description) "
            "VALUES (:id, 'https://partner.example/hook', ARRAY['registry.%'], 'whsec_x', 'p', '')"
        ),
        {"id": sub},
    )
    ids = await repository.store_events(s, [event(f"s{i}") for i in range(4)])
    # Only this subscription's deliveries: other tests' live `registry.*` subscriptions got some too.
    mine = "subscription_id = :sub AND "
    await s.execute(
        text(
            f"UPDATE gateway.deliveries SET status = 'delivered', delivered_at = now() WHERE {mine}event_id = ANY(:ids)"
        ),
        {"ids": ids[:2], "sub": sub},
    )
    await s.execute(
        text(f"UPDATE gateway.deliveries SET status = 'dead' WHERE {mine}event_id = :id"), {"id": ids[2], "sub": sub}
    )
    await age(s, "deliveries", "created_at", 40, f"{mine}event_id = ANY(:ids)", {"ids": ids, "sub": sub})
    await age(s, "deliveries", "delivered_at", 40, f"{mine}event_id = :id", {"id": ids[0], "sub": sub})  # ids[1]: today
    done = await retention.prune(s, delivered_days=30, events_days=0)
    left = dict(
        (
            await s.execute(
                text(f"SELECT event_id, status FROM gateway.deliveries WHERE {mine}event_id = ANY(:ids)"),
                {"ids": ids, "sub": sub},
            )
        ).all()
    )
    assert done["deliveries"] == 1 and ids[0] not in left
    assert (left[ids[1]], left[ids[2]], left[ids[3]]) == ("delivered", "dead", "pending")
    assert done["events"] == 0  # events are kept for ever unless the operator sets a retention


async def test_old_events_go_but_never_the_latest_of_a_subject_nor_one_still_referred_to(hub):
    s = hub
    subject, other = f"p-{uuid.uuid4()}", f"q-{uuid.uuid4()}"
    [old] = await repository.store_events(s, [event(subject)])
    [newest] = await repository.store_events(s, [event(subject)])
    [alone] = await repository.store_events(s, [event(other)])
    await age(s, "events", "received_at", 500, "id = ANY(:ids)", {"ids": [old, newest, alone]})
    # Other tests' live `registry.*` subscriptions have pending deliveries of these: not this test's subject.
    await s.execute(text("DELETE FROM gateway.deliveries WHERE event_id = ANY(:ids)"), {"ids": [old, newest, alone]})
    await retention.prune(s, delivered_days=30, events_days=400)
    kept = set(
        await s.scalars(text("SELECT id FROM gateway.events WHERE id = ANY(:ids)"), {"ids": [old, newest, alone]})
    )
    assert kept == {newest, alone}  # the feed still has every subject's latest state


async def test_a_service_prunes_canary_receipts_and_the_inbox_only_when_told(test_db):
    engine = create_async_engine(to_asyncpg_url(test_db.urls["payments"]))
    maker = async_sessionmaker(engine, expire_on_commit=False)
    ids = [uuid.uuid4(), uuid.uuid4()]
    async with maker() as s:
        outer = await s.begin()
        for i, received in zip(ids, (clock.now() - timedelta(days=10), clock.now()), strict=True):
            await s.execute(
                EVENT_TABLES.canary_receipts.insert().values(
                    event_id=i,
                    source="/ansinh/registry",
                    subject="canary",
                    sequence=1,
                    published_at=received,
                    received_at=received,
                )
            )
            await s.execute(
                EVENT_TABLES.inbox.insert().values(
                    event_id=i,
                    type="registry.x.v1",
                    source="/ansinh/registry",
                    subject="s",
                    sequence=1,
                    received_at=received - timedelta(days=500),
                )
            )
        done = await service_retention.prune(s, EVENT_TABLES, inbox_days=0)
        assert done == {"canary_receipts": 1, "inbox": 0}
        done = await service_retention.prune(s, EVENT_TABLES, inbox_days=430)
        assert done["inbox"] == 2
        await outer.rollback()
    await engine.dispose()
