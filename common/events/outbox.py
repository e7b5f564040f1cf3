"""``publish``: an event joins the caller's transaction; it leaves only if that transaction commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from .envelope import Event
from .tables import EventTables


def notify_channel(schema: str) -> str:
    return f"{schema}_outbox"


async def publish(session: AsyncSession, tables: EventTables, envelope: dict[str, Any]) -> Event:
    """Number the event within its subject, validate it, and add it to the outbox (no commit here).

    The sequence row is locked until the transaction ends, so events of one subject are numbered in
    commit order with no gaps (a rolled-back transaction gives its number back). One statement does
    the numbering, the insert and the NOTIFY (transactional: the relay wakes only if this commits).
    """
    event = Event.model_validate({**envelope, "sequence": 1})  # everything checked but the number
    seq, outbox = tables.sequences, tables.outbox
    channel = notify_channel(outbox.schema or "public")
    number = await session.scalar(text(f"""
        WITH seq AS (
            INSERT INTO {seq.schema}.{seq.name} (subject, last) VALUES (:subject, 1)
            ON CONFLICT (subject) DO UPDATE SET last = {seq.name}.last + 1
            RETURNING last
        )
        INSERT INTO {outbox.schema}.{outbox.name} (event_id, type, subject, sequence, envelope)
        SELECT :event_id, :type, :subject, seq.last,
               jsonb_set(CAST(:envelope AS jsonb), '{{sequence}}', to_jsonb(seq.last))
        FROM seq CROSS JOIN (SELECT pg_notify(:channel, '')) AS wake
        RETURNING sequence
    """), {"subject": event.subject, "event_id": event.id, "type": event.type, "channel": channel,
           "envelope": event.model_dump_json()})
    return event.model_copy(update={"sequence": number})


async def publish_many(session: AsyncSession, tables: EventTables, envelopes: Sequence[dict[str, Any]]) -> int:
    """The set-based :func:`publish`: add every event to the outbox in one statement (no commit here).

    Same guarantees as publishing them one by one in this order: each subject's events are numbered
    after the numbers it already has, in the order given, with no gaps. The sequence rows are locked in
    subject order, so two batches sharing subjects cannot deadlock. Returns how many were added.
    """
    if not envelopes:
        return 0
    events = [Event.model_validate({**e, "sequence": 1}) for e in envelopes]  # all checked before any write
    seq, outbox = tables.sequences, tables.outbox
    await session.execute(text(f"""
        WITH ev AS (
            SELECT * FROM unnest(CAST(:event_ids AS uuid[]), CAST(:types AS text[]), CAST(:subjects AS text[]),
                                 CAST(:envelopes AS text[]))
                          WITH ORDINALITY AS e(event_id, type, subject, envelope, ord)
        ), counts AS (
            SELECT subject, count(*)::int AS n FROM ev GROUP BY subject
        ), seq AS (
            INSERT INTO {seq.schema}.{seq.name} (subject, last)
            SELECT subject, n FROM counts ORDER BY subject
            ON CONFLICT (subject) DO UPDATE SET last = {seq.name}.last + EXCLUDED.last
            RETURNING subject, last
        ), numbered AS (
            SELECT ev.*, (seq.last - counts.n + row_number() OVER (PARTITION BY ev.subject ORDER BY ev.ord))::int
                   AS sequence
            FROM ev JOIN counts USING (subject) JOIN seq USING (subject)
        )
        INSERT INTO {outbox.schema}.{outbox.name} (event_id, type, subject, sequence, envelope)
        SELECT event_id, type, subject, sequence, jsonb_set(CAST(envelope AS jsonb), '{{sequence}}', to_jsonb(sequence))
        FROM numbered CROSS JOIN (SELECT pg_notify(:channel, '')) AS wake
        ORDER BY ord
    """), {"event_ids": [e.id for e in events], "types": [e.type for e in events],
           "subjects": [e.subject for e in events], "envelopes": [e.model_dump_json() for e in events],
           "channel": notify_channel(outbox.schema or "public")})
    return len(events)
