"""``publish``: an event joins the caller's transaction; it leaves only if that transaction commits."""

from __future__ import annotations

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
