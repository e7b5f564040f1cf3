"""Batched delivery from the hub to a service's inbox, over real HTTP: a real service inbox (the shared router, on
its own PostgreSQL schema) served on a port, the hub's dispatcher sending to it. Each subject's events are applied
in order, each event once, and a poison event fails alone."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from common.errors import install_error_handlers
from common.events.inbox import INBOX_BATCH_PATH, INBOX_PATH
from common.events.service import ServiceEvents
from common.settings import to_asyncpg_url
from common.testing import free_port, serve_in_background
from gateway.events import repository
from gateway.events.service import new_secret
from services.registry.models import EVENT_TABLES as T
from tests.gateway.test_hub import event, service_auth, wait_until


class Service:
    """What the service committed (subject, sequence, id), in commit order; and the requests it answered."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.committed: list[tuple[str, int, str]] = []
        self.requests: Counter[tuple[str, int]] = Counter()
        self.poisoned = True
        self.lose_batch_answers = False


@pytest.fixture
async def service(door, test_db):
    tag = f"b{uuid.uuid4().hex[:8]}"
    svc = Service(tag)
    events = ServiceEvents("registry", T)

    @events.inbox.handler(f"registry.{tag}.happened.v1")
    async def happened(session, ev):  # type: ignore[no-untyped-def]
        session.info.setdefault(tag, []).append((ev.subject, ev.sequence, str(ev.id)))

    @events.inbox.handler(f"registry.{tag}.poison.v1")
    async def poison(session, ev):  # type: ignore[no-untyped-def]
        if svc.poisoned:
            raise ValueError("amount must be positive")
        session.info.setdefault(tag, []).append((ev.subject, ev.sequence, str(ev.id)))

    # Only what was committed counts: a batch rolled back applied nothing.
    def after_commit(session: Session) -> None:
        svc.committed.extend(session.info.pop(tag, []))

    def after_rollback(session: Session) -> None:
        session.info.pop(tag, None)

    sa_event.listen(Session, "after_commit", after_commit)
    sa_event.listen(Session, "after_rollback", after_rollback)

    secret = new_secret()
    engine = create_async_engine(to_asyncpg_url(test_db.urls["registry"]))
    app = FastAPI()
    app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    install_error_handlers(app)
    app.include_router(events.inbox.router(secret))

    @app.middleware("http")
    async def observe(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        svc.requests[(request.url.path, response.status_code)] += 1
        if request.url.path == INBOX_BATCH_PATH and svc.lose_batch_answers and response.status_code == 200:
            return Response("connection lost", status_code=502)  # applied and committed, but the hub never knows
        return response

    async with serve_in_background(app, free_port()) as url:
        name = f"{tag}-inbox"
        async with door.gateway.state.sessionmaker() as s, s.begin():
            await repository.upsert_internal(s, name, f"{url}{INBOX_PATH}", [f"registry.{tag}.*"], secret)
            sub_id = (await repository.get_internal(s, name)).id
        svc.sub_id = sub_id  # type: ignore[attr-defined]
        yield svc
        async with door.gateway.state.sessionmaker() as s, s.begin():
            await repository.end_subscriptions(s, sub_id=sub_id)
    sa_event.remove(Session, "after_commit", after_commit)
    sa_event.remove(Session, "after_rollback", after_rollback)
    await engine.dispose()


def make(svc: Service, subject: str, seq: int, kind: str = "happened") -> dict[str, Any]:
    return event(f"registry.{svc.tag}.{kind}.v1", subject=subject, seq=seq)


async def publish(door, http, events: list[dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
    r = await http.post("/events", json=events, headers=await service_auth(door))
    assert r.status_code == 200 and r.json()["accepted"] == len(events), r.text


async def settled(door, svc: Service) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Wait until nothing is pending for the service; the status of each delivered event (by event id)."""

    async def done() -> dict[str, str] | None:
        async with door.gateway.state.sessionmaker() as s:
            rows = (
                await s.execute(
                    text("SELECT event_id::text, status FROM gateway.deliveries WHERE subscription_id = :id"),
                    {"id": svc.sub_id},  # type: ignore[attr-defined]
                )
            ).all()
        statuses = {r[0]: r[1] for r in rows}
        return statuses if statuses and "pending" not in statuses.values() else None

    return await wait_until(done, within=30)


def in_order_once(svc: Service, sent: list[dict[str, Any]]) -> None:
    """Each event committed exactly once, and each subject's events in their order."""
    ids = Counter(i for _, _, i in svc.committed)
    assert {e["id"]: ids[e["id"]] for e in sent} == {e["id"]: 1 for e in sent}
    by_subject: dict[str, list[int]] = {}
    for subject, seq, _ in svc.committed:
        by_subject.setdefault(subject, []).append(seq)
    for subject, seqs in by_subject.items():
        assert seqs == sorted(seqs), f"{subject} applied out of order: {seqs}"


async def test_events_reach_a_service_in_batches_in_order_and_a_poison_event_fails_alone(door, http, service):
    subjects = [f"{service.tag}-s{i}" for i in range(30)]
    first = [make(service, s, seq) for seq in (1, 2, 3) for s in subjects]  # interleaved across subjects
    await publish(door, http, first)
    statuses = await settled(door, service)
    assert set(statuses.values()) == {"delivered"}
    in_order_once(service, first)
    batches = service.requests[(INBOX_BATCH_PATH, 200)]
    assert batches >= 1 and service.requests[(INBOX_PATH, 200)] == 0  # delivered in batches, not one by one
    assert batches < len(first)

    # A poison event among others: the batch holding it fails, its events go one by one; the poison one is
    # retried and dead-lettered alone, its subject's later event follows it, every other event is applied.
    bad = f"{service.tag}-poisoned"
    second = [make(service, s, seq) for seq in (4, 5) for s in subjects]
    poison = [make(service, bad, 1), make(service, bad, 2, kind="poison"), make(service, bad, 3)]
    await publish(door, http, second + poison)
    statuses = await settled(door, service)
    assert statuses[poison[1]["id"]] == "dead"
    assert {i: st for i, st in statuses.items() if i != poison[1]["id"]} == dict.fromkeys(
        (e["id"] for e in first + second + poison if e is not poison[1]), "delivered"
    )
    in_order_once(service, first + second + [poison[0], poison[2]])
    assert [seq for subject, seq, _ in service.committed if subject == bad] == [1, 3]
    async with door.gateway.state.sessionmaker() as s:
        error = await s.scalar(
            # This service's delivery of it (another test's subscription may match the event too).
            text("SELECT last_error FROM gateway.deliveries WHERE event_id = :id AND subscription_id = :sub"),
            {"id": uuid.UUID(poison[1]["id"]), "sub": service.sub_id},
        )
    assert "amount must be positive" in error


async def test_a_batch_applied_whose_answer_was_lost_is_not_applied_twice(door, http, service):
    service.lose_batch_answers = True  # the service commits, the hub sees an error and sends the events again
    sent = [make(service, f"{service.tag}-s{i}", seq) for seq in (1, 2) for i in range(10)]
    await publish(door, http, sent)
    statuses = await settled(door, service)
    assert set(statuses.values()) == {"delivered"}
    assert service.requests[(INBOX_BATCH_PATH, 200)] >= 1  # the batch was applied…
    assert service.requests[(INBOX_PATH, 200)] >= 1  # …and its events came again one by one (duplicates)
    in_order_once(service, sent)
