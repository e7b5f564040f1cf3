"""publish_many: the set-based outbox insert keeps publish's per-subject numbering."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from common.events.envelope import Event, new_event
from common.events.outbox import publish, publish_many, publish_sql
from common.settings import to_asyncpg_url
from services.registry.models import EVENT_TABLES as T


@pytest.fixture
async def registry_db(test_db):
    engine = create_async_engine(to_asyncpg_url(test_db.urls["registry"]))
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


def env(subject: str, n: int = 0) -> dict:
    return new_event("/ansinh/registry", "registry.person.registered.v1", subject, {"n": n})


async def numbers(maker, *subjects: str) -> list[tuple[str, int, int]]:
    async with maker() as s:
        rows = await s.execute(
            select(T.outbox.c.subject, T.outbox.c.sequence, T.outbox.c.envelope)
            .where(T.outbox.c.subject.in_(subjects))
            .order_by(T.outbox.c.id)
        )
        return [
            (subject, seq, envelope["data"]["n"])
            for subject, seq, envelope in rows.tuples()
            if envelope["sequence"] == seq
        ]


async def test_events_are_numbered_per_subject_in_the_order_given_after_existing_numbers(registry_db):
    a, b = f"many-{uuid.uuid4().hex}", f"many-{uuid.uuid4().hex}"
    async with registry_db() as s, s.begin():
        await publish(s, T, env(a, 0))
    async with registry_db() as s, s.begin():
        assert await publish_many(s, T, [env(b, 1), env(a, 2), env(b, 3), env(a, 4)]) == 4
    async with registry_db() as s, s.begin():
        assert (await publish(s, T, env(a, 5))).sequence == 4
    assert await numbers(registry_db, a, b) == [(a, 1, 0), (b, 1, 1), (a, 2, 2), (b, 2, 3), (a, 3, 4), (a, 4, 5)]


async def test_concurrent_batches_on_shared_subjects_stay_gapless(registry_db):
    subjects = [f"many-{uuid.uuid4().hex}" for _ in range(5)]

    async def batch(order: list[str]) -> None:
        async with registry_db() as s, s.begin():
            await publish_many(s, T, [env(x) for x in order])

    await asyncio.gather(*(batch(subjects if i % 2 else subjects[::-1]) for i in range(6)))
    got = await numbers(registry_db, *subjects)
    for subject in subjects:
        assert sorted(seq for x, seq, _ in got if x == subject) == [1, 2, 3, 4, 5, 6]


async def test_one_invalid_event_refuses_the_whole_batch(registry_db):
    subject = f"many-{uuid.uuid4().hex}"
    async with registry_db() as s:
        with pytest.raises(ValidationError):
            async with s.begin():
                await publish_many(s, T, [env(subject), {**env(subject), "type": "No Such Type"}])
    assert await numbers(registry_db, subject) == []


async def publish_rows(session, rows: list[tuple[str, int]], **kw) -> None:
    """publish_sql over a VALUES list of (subject, n): the envelopes built by PostgreSQL."""
    values = ", ".join(f"('{subject}', {n}, {i})" for i, (subject, n) in enumerate(rows))
    sql, params = publish_sql(T, "/ansinh/registry", "registry.person.registered.v1", "rows", **kw)
    rows_cte = (
        "WITH rows AS (SELECT v.s AS subject, jsonb_build_object('n', v.n) AS data, v.o AS ord "
        f"FROM (VALUES {values}) AS v(s, n, o))"
    )
    await session.execute(text(rows_cte + sql + " SELECT count(*) FROM _published"), params)


@pytest.mark.parametrize("one_per_subject", [False, True])
async def test_set_based_envelopes_number_each_subject_after_its_existing_events(registry_db, one_per_subject):
    old, new, other = (f"sql-{uuid.uuid4().hex}" for _ in range(3))
    async with registry_db() as s, s.begin():
        await publish(s, T, env(old, 0))
    async with registry_db() as s, s.begin():
        await publish_rows(s, [(new, 1), (old, 2), (other, 3)], one_per_subject=one_per_subject)
    async with registry_db() as s, s.begin():
        assert (await publish(s, T, env(old, 4))).sequence == 3
    assert await numbers(registry_db, old, new, other) == [
        (old, 1, 0),
        (new, 1, 1),
        (old, 2, 2),
        (other, 1, 3),
        (old, 3, 4),
    ]
    async with registry_db() as s:
        envelope = await s.scalar(select(T.outbox.c.envelope).where(T.outbox.c.subject == new))
    event = Event.model_validate(envelope)
    assert (event.subject, event.sequence, event.data) == (new, 1, {"n": 1})


async def test_one_event_per_subject_refuses_a_batch_naming_a_subject_twice(registry_db):
    subject = f"sql-{uuid.uuid4().hex}"
    async with registry_db() as s:
        with pytest.raises(DBAPIError):
            async with s.begin():
                await publish_rows(s, [(subject, 1), (subject, 2)], one_per_subject=True)
    assert await numbers(registry_db, subject) == []


async def test_events_of_new_subjects_are_number_one_with_time_ordered_ids_and_later_events_follow(registry_db):
    subjects = [f"new-{uuid.uuid4().hex}" for _ in range(3)]
    async with registry_db() as s, s.begin():
        await publish_rows(s, [(x, i) for i, x in enumerate(subjects)], new_subjects=True)
    async with registry_db() as s, s.begin():
        assert (await publish(s, T, env(subjects[1], 9))).sequence == 2  # numbering goes on after the bulk event
    assert await numbers(registry_db, *subjects) == [
        (subjects[0], 1, 0),
        (subjects[1], 1, 1),
        (subjects[2], 1, 2),
        (subjects[1], 2, 9),
    ]
    async with registry_db() as s:
        rows = (
            await s.execute(
                select(T.outbox.c.event_id, T.outbox.c.envelope)
                .where(T.outbox.c.subject.in_(subjects), T.outbox.c.sequence == 1)
                .order_by(T.outbox.c.id)
            )
        ).all()
    events = [Event.model_validate(envelope) for _, envelope in rows]
    assert [e.id for e in events] == [event_id for event_id, _ in rows]
    assert all(e.id.version == 7 for e in events)
    assert [e.id for e in events] == sorted(e.id for e in events)  # time-ordered, in the order published
    assert len({e.id for e in events}) == 3


async def test_new_subjects_refuse_a_subject_that_has_events_already(registry_db):
    old, new = f"sql-{uuid.uuid4().hex}", f"sql-{uuid.uuid4().hex}"
    async with registry_db() as s, s.begin():
        await publish(s, T, env(old, 0))
    async with registry_db() as s:
        with pytest.raises(DBAPIError):
            async with s.begin():
                await publish_rows(s, [(new, 1), (old, 2)], new_subjects=True)
    assert await numbers(registry_db, old, new) == [(old, 1, 0)]  # nothing of the batch, the old number kept
