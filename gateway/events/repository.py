"""All SQL of the event hub."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import ARRAY, Text, any_, delete, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from common.territory import territory

from ..models import Delivery, HubEvent, Subscription

NOTIFY_CHANNEL = "gateway_deliveries"

# A subscription pattern (`registry.beneficiary.*`) as a LIKE pattern, in SQL.
_LIKE = "replace(replace(replace(t, '_', '\\_'), '*', '%'), '?', '_')"

AREA_FIELDS = ("commune_code", "district_code", "province_code")


def _areas_of(envelope: str) -> str:
    """SQL: the area codes an event concerns, from its envelope's data (empty when it carries none)."""
    codes = ", ".join(f"{envelope}->'data'->>'{f}'" for f in AREA_FIELDS)
    return f"ARRAY(SELECT c FROM unnest(ARRAY[{codes}]) c WHERE c <> '')"


STORE_LOCK = "ansinh.gateway.events.store"
"""The advisory lock (``pg_advisory_xact_lock(hashtext(…))``) of the transactions that add hub events. Events are
added one transaction at a time, so positions become visible in the order they were given: otherwise a transaction
that took position 10 could commit after another took 11, and a feed reader already past 11 would never see 10."""


async def store_events(session: AsyncSession, events: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Insert the events not seen before; returns the ids that were new. Creates their deliveries.

    Holds :data:`STORE_LOCK` until the caller's transaction ends (keep that transaction short)."""
    if not events:
        return []
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": STORE_LOCK})
    # One statement for the events and their deliveries, over arrays (unnest: a multi-row VALUES would be compiled
    # anew for every batch size). Each event's areas (the non-empty commune, district and province codes of its
    # data) are computed here, once. Which subscriptions take which type is decided once per distinct type of the
    # batch (a handful), not per event and subscription: a subscription's patterns are turned into LIKE patterns
    # once. A subscription with areas gets only the events that concern one of them; an event that concerns no area
    # (a canary) goes only to unrestricted subscriptions (internal ones, admins, clients without areas).
    new_ids = list(
        await session.scalars(
            text(f"""
        WITH new AS (
            INSERT INTO gateway.events (id, source, type, subject, sequence, envelope, areas)
            SELECT u.id, u.source, u.type, u.subject, u.sequence, u.envelope, {_areas_of("u.envelope")}
            FROM unnest(CAST(:ids AS uuid[]), CAST(:sources AS text[]), CAST(:types AS text[]),
                        CAST(:subjects AS text[]), CAST(:sequences AS int[]), CAST(:envelopes AS jsonb[]))
                 AS u(id, source, type, subject, sequence, envelope)
            ON CONFLICT (id) DO NOTHING
            RETURNING id, type, subject, position, areas
        ), takers AS (
            SELECT t.type, s.id, s.territory
            FROM (SELECT DISTINCT type FROM new) t
            JOIN (SELECT id, territory, ARRAY(SELECT {_LIKE} FROM unnest(types) t) AS patterns
                  FROM gateway.subscriptions WHERE deleted_at IS NULL) s
              ON t.type LIKE ANY (s.patterns)
        ), queued AS (
            INSERT INTO gateway.deliveries (subscription_id, event_id, subject, position)
            SELECT k.id, n.id, n.subject, n.position
            FROM new n JOIN takers k ON k.type = n.type AND (cardinality(k.territory) = 0 OR n.areas && k.territory)
            ORDER BY n.position, k.id
            ON CONFLICT DO NOTHING
        )
        SELECT id FROM new
    """),
            {
                "ids": [uuid.UUID(str(e["id"])) for e in events],
                "sources": [e["source"] for e in events],
                "types": [e["type"] for e in events],
                "subjects": [e["subject"] for e in events],
                "sequences": [e["sequence"] for e in events],
                "envelopes": [orjson.dumps(e).decode() for e in events],
            },
        )
    )
    if new_ids:
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return new_ids


DUE_CHAINS = text("""
        WITH heads AS (
            SELECT d.subscription_id, d.subject, d.next_attempt_at
            FROM gateway.deliveries d
            WHERE d.status = 'pending' AND d.next_attempt_at <= (SELECT clock_timestamp())
              AND NOT EXISTS (SELECT 1 FROM gateway.deliveries p
                              WHERE p.status = 'pending' AND p.subscription_id = d.subscription_id
                                AND p.subject = d.subject AND p.position < d.position)
            ORDER BY d.next_attempt_at LIMIT :subjects
        )
        SELECT r.id, r.attempts, r.event_id, h.subject, r.rn, e.envelope::text AS envelope, e.type, e.received_at,
               s.url, s.secret, s.owner, s.id AS sub_id
        FROM heads h
        JOIN gateway.subscriptions s ON s.id = h.subscription_id AND s.deleted_at IS NULL
        CROSS JOIN LATERAL (
            SELECT c.id, c.attempts, c.event_id, row_number() OVER (ORDER BY c.position) AS rn
            FROM (SELECT d.id, d.attempts, d.event_id, d.position FROM gateway.deliveries d
                  WHERE d.status = 'pending' AND d.subscription_id = h.subscription_id AND d.subject = h.subject
                  ORDER BY d.position LIMIT :per_subject) c
        ) r
        JOIN gateway.events e ON e.id = r.event_id
        ORDER BY h.next_attempt_at, h.subscription_id, h.subject, r.rn
    """)


async def due_chains(session: AsyncSession, subjects: int, per_subject: int) -> list[list[dict[str, Any]]]:
    """For up to ``subjects`` (subscription, subject) pairs whose oldest pending delivery is due, that
    delivery and the next pending ones (up to ``per_subject``), in order. A pair's deliveries go one after
    another; pairs go side by side — so each subject's events reach each subscriber in order.

    Index-ordered and limited, never a pass over every pending row: the heads are read in ``next_attempt_at`` order
    from the pending rows' index (``ix_deliveries_pending_due``), a row being a head when no pending row of its
    (subscription, subject) comes before it (one probe of ``ix_deliveries_pending_order``), until ``subjects`` are
    found; then each head's chain is read from that second index, ``per_subject`` rows at most. A round costs what it
    sends, whatever the backlog behind it. Each row's envelope comes as JSON text (``envelope``), as stored: the
    batched delivery puts it into its body as it is, without decoding it."""
    result = await session.execute(
        DUE_CHAINS,
        {"subjects": subjects, "per_subject": per_subject},
    )
    chains: dict[tuple[Any, str], list[dict[str, Any]]] = {}
    for row in result.mappings():
        chains.setdefault((row["sub_id"], row["subject"]), []).append(dict(row))
    return list(chains.values())


async def next_due_in(session: AsyncSession) -> float | None:
    """Seconds until the next pending delivery is due (0 when one is due now; None when nothing is pending).

    Not ``greatest(0, …)`` in SQL: PostgreSQL's ``greatest`` ignores NULLs, so it answered 0 when nothing was
    pending and the idle dispatcher scanned the table every 10 ms instead of sleeping until notified."""
    # Only deliveries the dispatcher would send (those of live subscriptions): a pending row left behind by
    # a subscription ended outside the API must not make every round "due now".
    seconds = await session.scalar(
        text(
            "SELECT extract(epoch FROM min(d.next_attempt_at) - clock_timestamp())::float "
            "FROM gateway.deliveries d JOIN gateway.subscriptions s ON s.id = d.subscription_id "
            "WHERE d.status = 'pending' AND s.deleted_at IS NULL"
        )
    )
    return None if seconds is None else max(0.0, float(seconds))


_OUTCOME_TYPES = {
    "status": "text",
    "attempts": "int",
    "last_status": "int",
    "last_error": "text",
    "delivered_at": "timestamptz",
    "next_attempt_at": "timestamptz",
}
"""The columns an outcome sets, and their SQL types (for the arrays of :func:`record_results`)."""


async def record_results(session: AsyncSession, results: list[dict[str, Any]]) -> None:
    """Write outcomes in a few statements: one ``UPDATE … FROM unnest`` per kind of outcome (the set of columns it
    sets), whatever the number of deliveries."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in results:
        by_columns.setdefault(tuple(sorted(r["values"])), []).append({"id": r["id"], **r["values"]})
    for columns, rows in by_columns.items():
        arrays = ", ".join(f"CAST(:{c} AS {_OUTCOME_TYPES[c]}[])" for c in columns)
        assignments = ", ".join(f"{c} = u.{c}" for c in columns)
        await session.execute(
            text(f"""
            UPDATE gateway.deliveries d SET {assignments}
            FROM unnest(CAST(:id AS bigint[]), {arrays}) AS u(id, {", ".join(columns)})
            WHERE d.id = u.id
        """),
            {"id": [r["id"] for r in rows], **{c: [r[c] for r in rows] for c in columns}},
        )


@dataclass
class InternalRepair:
    """What :func:`upsert_internal` found and did."""

    name: str
    found: str
    """``active``, ``deleted`` (ended: it received nothing since ``deleted_at``) or ``missing`` (no row)."""
    deleted_at: datetime | None
    replayed: int
    """Deliveries queued again: the events it should have received and has no delivery of."""


async def upsert_internal(
    session: AsyncSession,
    name: str,
    url: str,
    types: list[str],
    secret: str,
    *,
    replay_after: int | None = None,
    replay_if_missing: bool = False,
) -> InternalRepair:
    """Make a service's inbox subscription exist, active, with this url, types and secret — and lose nothing.

    An ended (``deleted``) subscription is brought back with every event it missed queued again: each event
    the hub accepted since the subscription was made, of the types it had and still has, that it has no
    delivery of (those accepted while it was ended, and those still pending when it ended). A ``missing`` one
    (no row: removed by hand, its history with it) is made anew, and with ``replay_if_missing`` every matching
    event of the hub's history is queued for it. ``replay_after`` (a feed position) limits the replay to the
    events after it, and asks for one in any case (also for an active subscription, e.g. one that was removed
    and re-created without a replay). The consumer's inbox applies each event once, so queuing one it already
    applied is harmless.

    Holds :data:`STORE_LOCK`, so no event is stored between the revival and the replay unseen by both."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": STORE_LOCK})
    before = await session.scalar(select(Subscription).where(Subscription.name == name).with_for_update())
    found = "missing" if before is None else "active" if before.deleted_at is None else "deleted"
    deleted_at = before.deleted_at if before is not None else None
    old_types = list(before.types) if before is not None else list(types)
    created_at = before.created_at if before is not None else None
    stmt = pg_insert(Subscription).values(
        id=uuid.uuid4(), name=name, owner=None, url=url, types=types, secret=secret, description="internal"
    )
    sub_id = await session.scalar(
        stmt.on_conflict_do_update(
            index_elements=["name"], set_={"url": url, "types": types, "secret": secret, "deleted_at": None}
        ).returning(Subscription.id)
    )
    replay_from: tuple[int, datetime | None] | None = None
    if found == "deleted":
        replay_from = (replay_after or 0, created_at)
    elif replay_after is not None or (found == "missing" and replay_if_missing):
        replay_from = (replay_after or 0, None)
    replayed = 0
    if replay_from is not None:
        after, since = replay_from
        result = await session.execute(
            text(f"""
            INSERT INTO gateway.deliveries (subscription_id, event_id, subject, position)
            SELECT :sub_id, e.id, e.subject, e.position
            FROM gateway.events e
            WHERE e.position > :after AND (CAST(:since AS timestamptz) IS NULL OR e.received_at >= :since)
              AND e.type LIKE ANY (ARRAY(SELECT {_LIKE} FROM unnest(CAST(:types AS text[])) t))
              AND e.type LIKE ANY (ARRAY(SELECT {_LIKE} FROM unnest(CAST(:old_types AS text[])) t))
              AND NOT EXISTS (SELECT 1 FROM gateway.deliveries d WHERE d.subscription_id = :sub_id
                                                                  AND d.event_id = e.id)
            ORDER BY e.position
            ON CONFLICT DO NOTHING
        """),
            {"sub_id": sub_id, "after": after, "since": since, "types": types, "old_types": old_types},
        )
        replayed = int(result.rowcount or 0)  # type: ignore[attr-defined]
    await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return InternalRepair(name=name, found=found, deleted_at=deleted_at, replayed=replayed)


async def get_internal(session: AsyncSession, name: str) -> Subscription | None:
    found: Subscription | None = await session.scalar(select(Subscription).where(Subscription.name == name))
    return found


async def get_subscription(session: AsyncSession, sub_id: uuid.UUID) -> Subscription | None:
    return await session.get(Subscription, sub_id)


async def list_subscriptions(session: AsyncSession, owner: str | None) -> list[Subscription]:
    """Partners' subscriptions (of ``owner``, or all): never the services' own inboxes."""
    q = (
        select(Subscription)
        .where(Subscription.deleted_at.is_(None), Subscription.name.is_(None))
        .order_by(Subscription.created_at)
    )
    if owner is not None:
        q = q.where(Subscription.owner == owner)
    return list(await session.scalars(q))


async def list_deliveries(
    session: AsyncSession, sub_id: uuid.UUID, status: str | None, after: int, limit: int
) -> list[Any]:
    q = (
        select(Delivery, HubEvent.type)
        .join(HubEvent, HubEvent.id == Delivery.event_id)
        .where(Delivery.subscription_id == sub_id, Delivery.id > after)
        .order_by(Delivery.id)
        .limit(limit)
    )
    if status:
        q = q.where(Delivery.status == status)
    return list((await session.execute(q)).all())


async def redeliver(session: AsyncSession, sub_id: uuid.UUID, since: datetime, areas: list[str]) -> int:
    """Deliveries of the subscription queued since ``since`` back to pending — only those of events within
    ``areas`` (the subscription's territory now: a client moved to other areas does not get the old ones again)."""
    stmt = update(Delivery).where(
        Delivery.subscription_id == sub_id, Delivery.created_at >= since, Delivery.status.in_(("dead", "delivered"))
    )
    if areas:
        stmt = stmt.where(
            select(HubEvent.id).where(HubEvent.id == Delivery.event_id, _overlaps(HubEvent.areas, areas)).exists()
        )
    result = await session.execute(
        stmt.values(status="pending", attempts=0, next_attempt_at=func.clock_timestamp(), last_error=None)
    )
    await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def feed(
    session: AsyncSession, like_patterns: list[str], areas: list[str] | None, after: int, limit: int
) -> list[HubEvent]:
    """Events of the types after ``after``, oldest first; with ``areas``, only those concerning one of them
    (``areas && …``, which the GIN index on ``events.areas`` serves: a reader of a small area does not go over
    the province's events one by one). Filtered-out events are skipped in SQL, so a page is never empty while
    a visible event follows, and the cursor (the last item's position) is past every event skipped before it."""
    patterns = any_(literal(like_patterns, type_=ARRAY(Text)))
    q = (
        select(HubEvent)
        .where(HubEvent.position > after, HubEvent.type.like(patterns))
        .order_by(HubEvent.position)
        .limit(limit)
    )
    if areas is not None:
        q = q.where(_overlaps(HubEvent.areas, areas))
    return list(await session.scalars(q))


def _overlaps(column: Any, areas: list[str]) -> Any:
    """``column && areas`` (GIN-indexed on gateway.events.areas)."""
    return column.op("&&")(literal(list(areas), type_=ARRAY(Text)))


async def set_owner_areas(session: AsyncSession, owner: str, areas: list[str]) -> None:
    """The subscriptions of client ``owner`` follow its areas (empty: unrestricted) and their territory. Pending
    deliveries of events outside the new territory are dropped: the client may no longer see them."""
    await session.execute(
        update(Subscription)
        .where(Subscription.owner == owner, Subscription.deleted_at.is_(None))
        .values(areas=sorted(set(areas)), territory=list(territory(tuple(areas))) if areas else [])
    )
    if areas:
        await session.execute(
            text("""
            DELETE FROM gateway.deliveries d
            USING gateway.subscriptions s, gateway.events e
            WHERE s.owner = :owner AND s.deleted_at IS NULL AND d.subscription_id = s.id
              AND d.status = 'pending' AND e.id = d.event_id AND NOT (e.areas && s.territory)
        """),
            {"owner": owner},
        )


OPEN_BATCH_TYPE = "payments.batch.ready.v1"


async def offer_open_batches(session: AsyncSession, owner: str, today: date) -> int:
    """Queue, for each subscription of client ``owner`` that takes ``payments.batch.ready.v1``, the ready events of
    the batches still open (``deadline`` not past ``today``) within its territory that it was never offered — after
    its areas changed, the batches of its new ground reach it, taken from the stored feed. Returns how many."""
    rows = await session.execute(
        text(f"""
        INSERT INTO gateway.deliveries (subscription_id, event_id, subject, position)
        SELECT s.id, e.id, e.subject, e.position
        FROM gateway.subscriptions s
        JOIN gateway.events e
          ON e.type = :type AND e.type LIKE ANY (ARRAY(SELECT {_LIKE} FROM unnest(s.types) t))
             AND (cardinality(s.territory) = 0 OR e.areas && s.territory)
             AND CASE WHEN e.envelope->'data'->>'deadline' ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'
                      THEN (e.envelope->'data'->>'deadline')::date >= :today ELSE false END
        WHERE s.owner = :owner AND s.deleted_at IS NULL
        ON CONFLICT DO NOTHING
        RETURNING id
    """),
        {"type": OPEN_BATCH_TYPE, "owner": owner, "today": today},
    )
    offered = len(rows.all())
    if offered:
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return offered


async def end_subscriptions(
    session: AsyncSession, *, owner: str | None = None, sub_id: uuid.UUID | None = None
) -> None:
    """Delete one subscription (``sub_id``) or every subscription of a client (``owner``, when it is revoked),
    with their pending deliveries: nothing more is sent to them, and no pending row is left for the dispatcher."""
    where = Subscription.id == sub_id if sub_id is not None else Subscription.owner == owner
    ended = list(
        await session.scalars(
            update(Subscription)
            .where(where, Subscription.deleted_at.is_(None))
            .values(deleted_at=func.now())
            .returning(Subscription.id)
        )
    )
    if ended:
        await session.execute(delete(Delivery).where(Delivery.subscription_id.in_(ended), Delivery.status == "pending"))


async def status_counts(session: AsyncSession) -> list[dict[str, Any]]:
    result = await session.execute(
        text("""
        SELECT s.id, coalesce(s.name, s.owner) AS name, s.name IS NOT NULL AS internal, s.url, s.deleted_at,
               count(*) FILTER (WHERE d.status = 'pending') AS pending,
               count(*) FILTER (WHERE d.status = 'dead') AS dead,
               count(*) FILTER (WHERE d.status = 'delivered') AS delivered
        FROM gateway.subscriptions s LEFT JOIN gateway.deliveries d ON d.subscription_id = s.id
        WHERE s.deleted_at IS NULL OR s.name IS NOT NULL GROUP BY s.id ORDER BY name
    """)
    )
    return [dict(r) for r in result.mappings()]


def like_pattern(pattern: str) -> str:
    return pattern.replace("_", "\\_").replace("*", "%").replace("?", "_")
