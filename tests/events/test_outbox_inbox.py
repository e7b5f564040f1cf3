"""Outbox and inbox inside one service, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from standardwebhooks.webhooks import Webhook

from common.app import create_service_app
from common.events.envelope import new_event
from common.events.outbox import publish
from common.events.service import ServiceEvents
from common.settings import ServiceSettings, to_asyncpg_url
from common.testing import app_client
from gateway.events.service import new_secret
from services.registry.models import EVENT_TABLES as T


@pytest.fixture
async def registry_db(test_db):
    engine = create_async_engine(to_asyncpg_url(test_db.urls["registry"]))
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def count(maker, table, **where) -> int:
    async with maker() as s:
        q = select(func.count()).select_from(table)
        for k, v in where.items():
            q = q.where(table.c[k] == v)
        return int(await s.scalar(q))


def env(subject: str, type_: str = "registry.person.registered.v1") -> dict:
    return new_event("/ansinh/registry", type_, subject, {"x": 1})


async def test_a_rolled_back_transaction_publishes_nothing(registry_db):
    subject = f"rb-{uuid.uuid4().hex}"
    async with registry_db() as s:
        async with s.begin():
            await publish(s, T, env(subject))
            assert await s.scalar(select(func.count()).select_from(T.outbox).where(T.outbox.c.subject == subject)) == 1
            await s.rollback()
    assert await count(registry_db, T.outbox, subject=subject) == 0
    assert await count(registry_db, T.sequences, subject=subject) == 0


async def test_sequences_are_per_subject_and_gapless_under_concurrency(registry_db):
    subject = f"seq-{uuid.uuid4().hex}"

    async def one(fail: bool) -> None:
        async with registry_db() as s, s.begin():
            await publish(s, T, env(subject))
            if fail:
                raise RuntimeError("rolled back")

    results = await asyncio.gather(*(one(i % 4 == 0) for i in range(20)), return_exceptions=True)
    assert sum(isinstance(r, RuntimeError) for r in results) == 5
    async with registry_db() as s:
        seqs = list(
            await s.scalars(select(T.outbox.c.sequence).where(T.outbox.c.subject == subject).order_by(T.outbox.c.id))
        )
    assert seqs == list(range(1, 16))  # the 5 rolled back gave their numbers back
    other = f"seq-{uuid.uuid4().hex}"
    async with registry_db() as s, s.begin():
        assert (await publish(s, T, env(other))).sequence == 1


async def test_an_invalid_event_is_refused_before_anything_is_written(registry_db):
    subject = f"bad-{uuid.uuid4().hex}"
    async with registry_db() as s:
        with pytest.raises(ValidationError):
            async with s.begin():
                await publish(s, T, {**env(subject), "type": "No Such Type"})
    assert await count(registry_db, T.outbox, subject=subject) == 0


@pytest.fixture
async def inbox_app(test_db, minter):
    events = ServiceEvents("registry", T)
    calls = {"fail": True, "applied": 0}

    @events.inbox.handler("payments.poison.v1")
    async def poison(session, event):
        if calls["fail"]:
            raise ValueError("amount must be positive")
        calls["applied"] += 1

    secret = new_secret()
    settings = ServiceSettings(database_url=test_db.urls["registry"], events_inbox_secret=secret)
    app = create_service_app("registry", settings, title="t", description="d", events=events)
    async with app_client(app, rollback=True, keys=minter, raise_app_exceptions=False) as client:
        yield client, Webhook(secret), calls


def signed(webhook: Webhook, envelope: dict) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(envelope)
    now = datetime.now(UTC)
    return body.encode(), {
        "content-type": "application/json",
        "webhook-id": envelope["id"],
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": webhook.sign(envelope["id"], now, body),
    }


def canary(subject: str) -> dict:
    ev = new_event(
        "/ansinh/payments", "payments.canary.v1", subject, {"note": "", "published_at": datetime.now(UTC).isoformat()}
    )
    return {**ev, "sequence": 1}


async def test_inbox_applies_once_and_acknowledges_duplicates(inbox_app, minter):
    client, webhook, _ = inbox_app
    ev = canary("inbox-dup")
    body, headers = signed(webhook, ev)
    first = await client.post("/events/inbox", content=body, headers=headers)
    again = await client.post("/events/inbox", content=body, headers=headers)
    assert first.json()["status"] == "applied" and again.json()["status"] == "duplicate"
    got = (await client.get("/events/canaries", headers=minter.headers("admin"))).json()
    assert [r["event_id"] for r in got["receipts"] if r["subject"] == "inbox-dup"] == [ev["id"]]


async def test_inbox_refuses_unsigned_or_forged_deliveries(inbox_app):
    client, webhook, _ = inbox_app
    body, headers = signed(webhook, canary("forged"))
    assert (await client.post("/events/inbox", content=body)).status_code == 401
    forged = dict(
        headers,
        **{"webhook-signature": Webhook(new_secret()).sign(headers["webhook-id"], datetime.now(UTC), body.decode())},
    )
    r = await client.post("/events/inbox", content=body, headers=forged)
    assert r.status_code == 401 and "signature" in r.json()["detail"]


async def test_a_failing_handler_rolls_back_and_reports_so_the_hub_retries(inbox_app):
    client, webhook, calls = inbox_app
    ev = {**new_event("/ansinh/payments", "payments.poison.v1", "poison-1", {"amount": -5}), "sequence": 1}
    body, headers = signed(webhook, ev)
    r = await client.post("/events/inbox", content=body, headers=headers)
    assert r.status_code == 500 and "amount must be positive" in r.json()["detail"]
    calls["fail"] = False  # fixed: the hub's next attempt applies it, exactly once
    assert (await client.post("/events/inbox", content=body, headers=headers)).json()["status"] == "applied"
    assert (await client.post("/events/inbox", content=body, headers=headers)).json()["status"] == "duplicate"
    assert calls["applied"] == 1


def signed_batch(webhook: Webhook, envelopes: list[dict]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"events": envelopes})
    now, msg_id = datetime.now(UTC), f"batch_{uuid.uuid4()}"
    return body.encode(), {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": webhook.sign(msg_id, now, body),
    }


async def test_a_batch_is_applied_all_or_nothing_and_names_its_duplicates(inbox_app, minter):
    client, webhook, calls = inbox_app
    prefix = f"batch-{uuid.uuid4().hex[:6]}"
    first, second = canary(f"{prefix}-a"), canary(f"{prefix}-b")
    bad = {**new_event("/ansinh/payments", "payments.poison.v1", f"{prefix}-p", {"amount": -5}), "sequence": 1}

    async def receipts() -> list[str]:
        got = (await client.get("/events/canaries", headers=minter.headers("admin"))).json()["receipts"]
        return sorted(r["subject"] for r in got if r["subject"].startswith(prefix))

    body, headers = signed_batch(webhook, [first, bad, second])
    r = await client.post("/events/inbox/batch", content=body, headers=headers)
    assert r.status_code == 500 and "amount must be positive" in r.json()["detail"]
    assert await receipts() == []  # the failing event rolled back the events before it too
    calls["fail"] = False
    r = await client.post("/events/inbox/batch", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["applied"] == [first["id"], bad["id"], second["id"]]
    third = canary(f"{prefix}-c")
    body, headers = signed_batch(webhook, [second, third])
    r = await client.post("/events/inbox/batch", content=body, headers=headers)
    assert r.json() == {"applied": [third["id"]], "duplicates": [second["id"]]}
    assert await receipts() == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"] and calls["applied"] == 1


async def test_a_batch_must_be_signed_and_well_formed(inbox_app):
    client, webhook, _ = inbox_app
    body, headers = signed_batch(webhook, [canary("batch-unsigned")])
    assert (await client.post("/events/inbox/batch", content=body)).status_code == 401
    body, headers = signed_batch(webhook, [])
    r = await client.post("/events/inbox/batch", content=body, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "events"
