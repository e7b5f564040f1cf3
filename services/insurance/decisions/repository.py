"""All SQL of the decision: taking queued persons, reading their facts set-wise, replacing their entitlements."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ..rules.entitlement import BeneficiaryStep, Facts, HouseholdStatus, Membership, Segment, Span


@dataclass(frozen=True)
class Queued:
    person_id: uuid.UUID
    reason: str
    queued_at: datetime


Cursor = tuple[datetime, uuid.UUID]
"""Where a take stopped in the queue's order: (queued_at, person_id) of the last person it took."""

# ``= ANY(ARRAY(…))``, not ``IN (…)``: with ``IN`` the planner deleted through a hash join over a scan of the whole
# queue (100,000 queued persons: ~70 ms a take); with the array it looks the chunk up in the primary key.
_TAKE = """
    DELETE FROM insurance.pending_decisions WHERE person_id = ANY(ARRAY(
        SELECT person_id FROM insurance.pending_decisions {after}
        ORDER BY queued_at, person_id LIMIT :n
        FOR UPDATE SKIP LOCKED))
    RETURNING person_id, reason, queued_at"""
_TAKE_FIRST = text(_TAKE.format(after=""))
_TAKE_AFTER = text(
    _TAKE.format(after="WHERE (queued_at, person_id) > (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid))")
)


async def take(session: AsyncSession, limit: int, after: Cursor | None = None) -> list[Queued]:
    """Up to ``limit`` queued persons, oldest first, removed from the queue in the caller's transaction (a concurrent
    worker skips them; a rollback puts them back). With ``after``, only those queued after that point of the order:
    the index ``ix_pending_decisions_queued_at`` is entered there, past the entries of the persons taken before
    (dead until vacuum, which every take from the start walks through again)."""
    if after is None:
        rows = await session.execute(_TAKE_FIRST, {"n": limit})
    else:
        rows = await session.execute(_TAKE_AFTER, {"n": limit, "after_at": after[0], "after_id": after[1]})
    return sorted((Queued(r.person_id, r.reason, r.queued_at) for r in rows), key=lambda q: (q.queued_at, q.person_id))


async def queue(session: AsyncSession, person_ids: Sequence[uuid.UUID], reason: str = "") -> None:
    await session.execute(
        text("""
        INSERT INTO insurance.pending_decisions (person_id, reason) SELECT unnest(CAST(:ids AS uuid[])), :reason
        ON CONFLICT (person_id) DO NOTHING"""),
        {"ids": list(person_ids), "reason": reason},
    )


async def facts(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Facts]:
    """The facts of each known person among ``ids`` (five statements, whatever the number of persons)."""
    params = {"ids": list(ids)}
    persons = (
        await session.execute(
            text("""
        SELECT id, date_of_birth, registered_on, death_date FROM insurance.persons WHERE id = ANY(:ids)"""),
            params,
        )
    ).all()
    steps: dict[uuid.UUID, list[BeneficiaryStep]] = defaultdict(list)
    for r in await session.execute(
        text("""
            SELECT person_id, beneficiary_id, kind, effective FROM insurance.beneficiary_steps
            WHERE person_id = ANY(:ids) ORDER BY beneficiary_id, sequence"""),
        params,
    ):
        steps[r.person_id].append(BeneficiaryStep(str(r.beneficiary_id), r.kind, r.effective))
    members: dict[uuid.UUID, list[Membership]] = defaultdict(list)
    households: set[uuid.UUID] = set()
    for r in await session.execute(
        text("""
            SELECT person_id, household_id, joined_on, left_on FROM insurance.household_members
            WHERE person_id = ANY(:ids)"""),
        params,
    ):
        members[r.person_id].append(Membership(str(r.household_id), r.joined_on, r.left_on))
        households.add(r.household_id)
    statuses: dict[str, list[HouseholdStatus]] = defaultdict(list)
    if households:
        for r in await session.execute(
            text("""
                SELECT household_id, valid_from, status FROM insurance.household_statuses
                WHERE household_id = ANY(:h) ORDER BY valid_from"""),
            {"h": list(households)},
        ):
            statuses[str(r.household_id)].append(HouseholdStatus(str(r.household_id), r.valid_from, r.status))
    recorded: dict[uuid.UUID, list[tuple[str, Span]]] = defaultdict(list)
    for r in await session.execute(
        text("""
            SELECT person_id, group_code, valid_from, valid_to FROM insurance.recorded_groups
            WHERE person_id = ANY(:ids) AND withdrawn_at IS NULL ORDER BY valid_from"""),
        params,
    ):
        end = None if r.valid_to is None else r.valid_to + timedelta(days=1)
        recorded[r.person_id].append((r.group_code, Span(r.valid_from, end)))
    out = {}
    for p in persons:
        own = members.get(p.id, [])
        out[p.id] = Facts(
            p.date_of_birth,
            p.registered_on,
            p.death_date,
            steps.get(p.id, []),
            own,
            [s for m in own for s in statuses.get(m.household_id, [])],
            recorded.get(p.id, ()),
        )
    return out


async def merged_among(session: AsyncSession, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of ``ids`` are records merged away (``insurance.person_merges``, the projection's)."""
    rows = await session.scalars(
        text("SELECT person_id FROM insurance.person_merges WHERE person_id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": list(ids)},
    )
    return set(rows)


async def replace(session: AsyncSession, decided: dict[uuid.UUID, list[Segment]]) -> None:
    """The persons' entitlements become exactly ``decided`` (two statements)."""
    ids = list(decided)
    await session.execute(text("DELETE FROM insurance.entitlements WHERE person_id = ANY(:ids)"), {"ids": ids})
    rows = [(p, s.start, s.end, s.group) for p, segs in decided.items() for s in segs]
    if rows:
        await session.execute(
            text("""
            INSERT INTO insurance.entitlements (person_id, valid_from, valid_until, group_code)
            SELECT * FROM unnest(CAST(:p AS uuid[]), CAST(:f AS date[]), CAST(:u AS date[]), CAST(:g AS text[]))"""),
            {
                "p": [r[0] for r in rows],
                "f": [r[1] for r in rows],
                "u": [r[2] for r in rows],
                "g": [r[3] for r in rows],
            },
        )


async def segments(session: AsyncSession, person_id: uuid.UUID) -> list[Segment]:
    return [
        Segment(r.group_code, r.valid_from, r.valid_until)
        for r in await session.execute(
            text("""
        SELECT group_code, valid_from, valid_until FROM insurance.entitlements WHERE person_id = :p
        ORDER BY valid_from"""),
            {"p": person_id},
        )
    ]


async def pending_count(session: AsyncSession) -> int:
    return int(await session.scalar(text("SELECT count(*) FROM insurance.pending_decisions")) or 0)


_REQUEUE_ENDING = text("""
    INSERT INTO insurance.pending_decisions (person_id)
    SELECT DISTINCT person_id FROM insurance.entitlements
    WHERE valid_until IS NOT NULL AND valid_until <= :today AND valid_until > CAST(:today AS date) - 1
    ON CONFLICT DO NOTHING""")


async def requeue_ending(session: AsyncSession, today: date) -> int:
    result = await session.execute(_REQUEUE_ENDING, {"today": today})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
