"""All SQL of the event hub."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Text, any_, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Delivery, HubEvent, Subscription

NOTIFY_CHANNEL = "gateway_deliveries"

# A subscription pattern (`registry.beneficiary.*`) as a LIKE pattern, in SQL.
_LIKE = "replace(replace(replace(t, '_', '\\_'), '*', '%'), '?', '_')"


async def store_events(session: AsyncSession, events: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Insert the events not seen before; returns the ids that were new. Creates their deliveries."""
    if not events:
        return []
    rows = [{"id": e["id"], "source": e["source"], "type": e["type"], "subject": e["subject"],
             "sequence": e["sequence"], "envelope": e} for e in events]
    new_ids = list(await session.scalars(
        pg_insert(HubEvent).values(rows).on_conflict_do_nothing(index_elements=["id"]).returning(HubEvent.id)
    ))
    if new_ids:
        await session.execute(text(f"""
            INSERT INTO gateway.deliveries (subscription_id, event_id, subject, position)
            SELECT s.id, e.id, e.subject, e.position
            FROM gateway.events e
            JOIN gateway.subscriptions s
              ON s.deleted_at IS NULL AND e.type LIKE ANY (ARRAY(SELECT {_LIKE} FROM unnest(s.types) t))
            WHERE e.id = ANY(:ids)
            ON CONFLICT DO NOTHING
        """), {"ids": new_ids})
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return new_ids


async def due_heads(session: AsyncSession, limit: int) -> list[dict[str, Any]]:
    """For each (subscription, subject), its oldest pending delivery — if it is due. One per subject keeps
    each subject's events in order for each subscription."""
    result = await session.execute(text("""
        WITH heads AS (
            SELECT DISTINCT ON (d.subscription_id, d.subject) d.id, d.subscription_id, d.event_id, d.attempts,
                   d.next_attempt_at
            FROM gateway.deliveries d
            WHERE d.status = 'pending'
            ORDER BY d.subscription_id, d.subject, d.position
        )
        SELECT h.id, h.attempts, h.event_id, e.envelope, e.type, e.received_at, s.url, s.secret, s.owner, s.id AS sub_id
        FROM heads h
        JOIN gateway.events e ON e.id = h.event_id
        JOIN gateway.subscriptions s ON s.id = h.subscription_id
        WHERE h.next_attempt_at <= clock_timestamp() AND s.deleted_at IS NULL
        ORDER BY h.next_attempt_at
        LIMIT :limit
    """), {"limit": limit})
    return [dict(r) for r in result.mappings()]


async def next_due_in(session: AsyncSession) -> float | None:
    """Seconds until the next pending delivery is due (None when nothing is pending)."""
    return await session.scalar(text(
        "SELECT greatest(0, extract(epoch FROM min(next_attempt_at) - clock_timestamp()))::float "
        "FROM gateway.deliveries WHERE status = 'pending'"
    ))


async def record_results(session: AsyncSession, results: list[dict[str, Any]]) -> None:
    for r in results:
        await session.execute(update(Delivery).where(Delivery.id == r["id"]).values(**r["values"]))


async def upsert_internal(session: AsyncSession, name: str, url: str, types: list[str], secret: str) -> None:
    stmt = pg_insert(Subscription).values(id=uuid.uuid4(), name=name, owner=None, url=url, types=types,
                                          secret=secret, description="internal")
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["name"], set_={"url": url, "types": types, "secret": secret, "deleted_at": None}))


async def get_subscription(session: AsyncSession, sub_id: uuid.UUID) -> Subscription | None:
    return await session.get(Subscription, sub_id)


async def list_subscriptions(session: AsyncSession, owner: str | None) -> list[Subscription]:
    q = select(Subscription).where(Subscription.deleted_at.is_(None)).order_by(Subscription.created_at)
    if owner is not None:
        q = q.where(Subscription.owner == owner)
    return list(await session.scalars(q))


async def list_deliveries(session: AsyncSession, sub_id: uuid.UUID, status: str | None, after: int,
                          limit: int) -> list[Any]:
    q = (select(Delivery, HubEvent.type).join(HubEvent, HubEvent.id == Delivery.event_id)
         .where(Delivery.subscription_id == sub_id, Delivery.id > after).order_by(Delivery.id).limit(limit))
    if status:
        q = q.where(Delivery.status == status)
    return list((await session.execute(q)).all())


async def redeliver(session: AsyncSession, sub_id: uuid.UUID, since: datetime) -> int:
    result = await session.execute(
        update(Delivery)
        .where(Delivery.subscription_id == sub_id, Delivery.created_at >= since,
               Delivery.status.in_(("dead", "delivered")))
        .values(status="pending", attempts=0, next_attempt_at=func.clock_timestamp(), last_error=None)
    )
    await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def feed(session: AsyncSession, like_patterns: list[str], after: int, limit: int) -> list[HubEvent]:
    patterns = any_(literal(like_patterns, type_=ARRAY(Text)))
    q = (select(HubEvent).where(HubEvent.position > after, HubEvent.type.like(patterns))
         .order_by(HubEvent.position).limit(limit))
    return list(await session.scalars(q))


async def status_counts(session: AsyncSession) -> list[dict[str, Any]]:
    result = await session.execute(text("""
        SELECT s.id, coalesce(s.name, s.owner) AS name, s.url,
               count(*) FILTER (WHERE d.status = 'pending') AS pending,
               count(*) FILTER (WHERE d.status = 'dead') AS dead,
               count(*) FILTER (WHERE d.status = 'delivered') AS delivered
        FROM gateway.subscriptions s LEFT JOIN gateway.deliveries d ON d.subscription_id = s.id
        WHERE s.deleted_at IS NULL GROUP BY s.id ORDER BY name
    """))
    return [dict(r) for r in result.mappings()]


def like_pattern(pattern: str) -> str:
    return pattern.replace("_", "\\_").replace("*", "%").replace("?", "_")
