"""``publish``: an event joins the caller's transaction; it leaves only if that transaction commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from .envelope import Event
from .tables import EventTables


def notify_channel(schema: str) -> str:
    return f"{schema}_outbox"


async def publish(session: AsyncSession, tables: EventTables, envelope: dict[str, Any]) -> Event:
    """Number the event within its subject, validate it, and add it to the outbox (no commit here).

    The sequence row is locked until the transaction ends, so events of one subject are numbered in
    commit order with no gaps (a rolled-back transaction gives its number back).
    """
    seq = tables.sequences
    number = await session.scalar(
        pg_insert(seq).values(subject=envelope["subject"], last=1)
        .on_conflict_do_update(index_elements=[seq.c.subject], set_={"last": seq.c.last + 1})
        .returning(seq.c.last)
    )
    event = Event.model_validate({**envelope, "sequence": number})
    await session.execute(insert(tables.outbox).values(
        event_id=event.id, type=event.type, subject=event.subject, sequence=event.sequence,
        envelope=event.model_dump(mode="json"),
    ))
    # NOTIFY is transactional: the relay wakes when (and only if) this commits.
    await session.execute(text(f'NOTIFY "{notify_channel(tables.outbox.schema or "public")}"'))
    return event
