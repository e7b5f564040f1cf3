"""What a service keeps of the events it received (a daily job of every service with events).

The outbox needs nothing: the relay deletes each row once the hub has it. The inbox records the id of every
event applied, so that a second delivery has no effect; a row may go only once the hub can no longer deliver
that event again, so ``<SERVICE>_INBOX_RETENTION_DAYS`` (0 by default: for ever) must exceed the hub's
``GATEWAY_RETENTION_EVENTS_DAYS``. Canary receipts (the end-to-end checks of the event path) are kept 7 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from .. import clock
from .tables import EventTables

CANARY_DAYS = 7


async def prune(
    session: AsyncSession, tables: EventTables, *, inbox_days: int, now: datetime | None = None
) -> dict[str, int]:
    now = now or clock.now()
    canaries = await session.execute(
        delete(tables.canary_receipts).where(tables.canary_receipts.c.received_at < now - timedelta(days=CANARY_DAYS))
    )
    done = {"canary_receipts": canaries.rowcount, "inbox": 0}  # type: ignore[attr-defined]
    if inbox_days > 0:
        inbox = await session.execute(
            delete(tables.inbox).where(tables.inbox.c.received_at < now - timedelta(days=inbox_days))
        )
        done["inbox"] = inbox.rowcount  # type: ignore[attr-defined]
    return done
