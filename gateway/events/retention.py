"""What the hub keeps, and for how long (a daily job; ``GATEWAY_RETENTION_*`` settings).

- A **delivered** delivery is kept ``retention_delivered_days`` (30 by default) for ``GET
  /subscriptions/{id}/deliveries`` and redelivery by date; pending and dead ones are never pruned (a dead letter
  waits for a person to act on it).
- An **event** is kept for the feed ``retention_events_days`` (0 by default: for ever). When set, an older
  event goes only once no delivery refers to it any more, and never the newest event of its (type, subject):
  the feed keeps the latest state of every subject, so a consumer that rebuilds a projection from the feed
  (``ansinh payments rebuild-projection``) still finds every beneficiary's latest schedule.

Each step is one set-based statement; a province's month of deliveries is pruned in well under a second.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from common import clock


async def prune(
    session: AsyncSession, *, delivered_days: int, events_days: int, now: datetime | None = None
) -> dict[str, int]:
    """Delete what the policy no longer keeps; returns how many deliveries and events went."""
    now = now or clock.now()
    done: dict[str, Any] = {"deliveries": 0, "events": 0}
    if delivered_days > 0:
        result = await session.execute(
            text("""
            DELETE FROM gateway.deliveries
            WHERE status = 'delivered' AND coalesce(delivered_at, created_at) < :before
        """),
            {"before": now - timedelta(days=delivered_days)},
        )
        done["deliveries"] = result.rowcount  # type: ignore[attr-defined]
    if events_days > 0:
        result = await session.execute(
            text("""
            DELETE FROM gateway.events e
            WHERE e.received_at < :before
              AND NOT EXISTS (SELECT 1 FROM gateway.deliveries d WHERE d.event_id = e.id)
              AND EXISTS (SELECT 1 FROM gateway.events later
                          WHERE later.type = e.type AND later.subject = e.subject AND later.position > e.position)
        """),
            {"before": now - timedelta(days=events_days)},
        )
        done["events"] = result.rowcount  # type: ignore[attr-defined]
    return done
