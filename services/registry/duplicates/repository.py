"""All SQL of possible duplicates: flagging pairs set-based, the officer's list, and the moves of a merge.

The moves of a merge write the tables of other features (applications, beneficiaries, household memberships,
residencies): a merge re-keys their rows from one person to another in one transaction, which no feature's own
use case does; each statement here is that re-keying and nothing else.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, literal, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from common.db import in_areas

from ..models import SCHEMA, Person, PossibleDuplicate

RECORD_TYPE = "possible_duplicate"

NAME_BIRTH_DATE_COMMUNE = "name_birth_date_commune"
NAME_BIRTH_YEAR_HOUSEHOLD = "name_birth_year_household"


# ``pairs`` (x < y, their rules) recorded as open pairs; a pair flagged before gains the rules it lacked while open, and
# a decided pair stays decided.
_RECORD_PAIRS = f"""
    INSERT INTO {SCHEMA}.possible_duplicates (id, person_id, other_id, rules, status, created_by)
    SELECT gen_random_uuid(), x, y, rules, 'open', :by FROM pairs
    ORDER BY x, y
    ON CONFLICT (person_id, other_id) DO UPDATE
        SET rules = ARRAY(SELECT DISTINCT r FROM unnest(possible_duplicates.rules || EXCLUDED.rules) r ORDER BY r)
        WHERE possible_duplicates.status = 'open'
"""

# Pairs of live (not merged) records of ``:ids`` and any other record: the same folded name and date of birth in the
# same commune, or the same folded name and birth year among the current members of one household. Two records
# with different national IDs are different people and never a pair.
_FLAG = text(
    f"""
    WITH candidates AS (
        SELECT n.id AS a, p.id AS b, '{NAME_BIRTH_DATE_COMMUNE}' AS rule
        FROM {SCHEMA}.persons n
        JOIN {SCHEMA}.persons p ON p.name_key = n.name_key AND p.date_of_birth = n.date_of_birth
             AND p.commune_code = n.commune_code AND p.id <> n.id
        WHERE n.id = ANY(:ids)
        UNION ALL
        SELECT n.id, p.id, '{NAME_BIRTH_YEAR_HOUSEHOLD}'
        FROM {SCHEMA}.persons n
        JOIN {SCHEMA}.household_members mn ON mn.person_id = n.id AND mn.left_on IS NULL
        JOIN {SCHEMA}.household_members mp ON mp.household_id = mn.household_id AND mp.left_on IS NULL
             AND mp.person_id <> n.id
        JOIN {SCHEMA}.persons p ON p.id = mp.person_id AND p.name_key = n.name_key
             AND extract(year FROM p.date_of_birth) = extract(year FROM n.date_of_birth)
        WHERE n.id = ANY(:ids)
    ), pairs AS (
        SELECT least(c.a, c.b) AS x, greatest(c.a, c.b) AS y, array_agg(DISTINCT c.rule ORDER BY c.rule) AS rules
        FROM candidates c
        JOIN {SCHEMA}.persons pa ON pa.id = c.a
        JOIN {SCHEMA}.persons pb ON pb.id = c.b
        WHERE pa.merged_into IS NULL AND pb.merged_into IS NULL
          AND (pa.national_id IS NULL OR pb.national_id IS NULL OR pa.national_id = pb.national_id)
        GROUP BY 1, 2
    )"""
    + _RECORD_PAIRS
)


async def flag(session: AsyncSession, person_ids: Sequence[uuid.UUID], by: str) -> None:
    """Flag every pair (see :data:`_FLAG`) of ``person_ids`` with other records; a pair already flagged keeps its
    flag (a dismissed pair stays dismissed)."""
    if person_ids:
        await session.execute(_FLAG, {"ids": list(person_ids), "by": by})


# The same rule for records a bulk insert has just written, as CTEs appended to that insert's statement: they have no
# household yet, so only the first rule can pair them. Each new record looks ``persons`` up as it was before the
# statement (the registry and the import's earlier chunks) with one probe of ``ix_persons_identity`` (``OFFSET 0``
# keeps the lookup per record: joined as a whole, the planner scanned the whole table once per chunk, ~0.5 µs per
# registered person, so an import slowed as the registry grew); the statement's own new records, which it cannot see
# in ``persons`` yet, are paired among themselves. (A statement of its own, after the insert, cost a round trip and
# the keys sent again per chunk; the general statement's plan, with statistics taken before the import, also sorted
# the whole table once per chunk, spilling to disk past ~40,000 records.)
_FLAG_NEW = f"""
    , pairs AS (
        SELECT DISTINCT least(c.a, c.b) AS x, greatest(c.a, c.b) AS y, ARRAY['{NAME_BIRTH_DATE_COMMUNE}'] AS rules
        FROM (
            SELECT n.id AS a, p.id AS b, n.national_id AS na, p.national_id AS nb
            FROM {{rows}} n
            CROSS JOIN LATERAL (
                SELECT p.id, p.national_id FROM {SCHEMA}.persons p
                WHERE p.name_key = n.name_key AND p.date_of_birth = n.date_of_birth
                  AND p.commune_code = n.commune_code AND p.merged_into IS NULL
                OFFSET 0
            ) p
            UNION ALL
            SELECT n.id, m.id, n.national_id, m.national_id
            FROM {{rows}} n
            JOIN {{rows}} m ON m.name_key = n.name_key AND m.date_of_birth = n.date_of_birth
                 AND m.commune_code = n.commune_code AND m.id <> n.id
        ) c
        WHERE c.na IS NULL OR c.nb IS NULL OR c.na = c.nb
    ), _flagged AS ({_RECORD_PAIRS}    RETURNING person_id, other_id)
"""


def flag_new_sql(rows: str) -> tuple[str, dict[str, Any]]:
    """SQL to append to a bulk insert's ``WITH`` list (it starts with a comma): flag the pairs of the records that the
    CTE ``rows`` inserted (columns ``id``, ``name_key``, ``date_of_birth``, ``commune_code``, ``national_id``),
    recorded as created by the statement's ``:by``. Its last CTE, ``_flagged``, returns the pairs it recorded
    (``person_id``, ``other_id``). No parameters of its own."""
    return _FLAG_NEW.replace("{rows}", rows), {}


async def open_partners(session: AsyncSession, person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """For each of ``person_ids``, the other records of its open pairs."""
    if not person_ids:
        return {}
    rows = await session.execute(
        text(f"""
        SELECT d.person_id AS me, d.other_id AS other FROM {SCHEMA}.possible_duplicates d
        WHERE d.status = 'open' AND d.person_id = ANY(:ids)
        UNION ALL
        SELECT d.other_id, d.person_id FROM {SCHEMA}.possible_duplicates d
        WHERE d.status = 'open' AND d.other_id = ANY(:ids)
        ORDER BY 1, 2
    """),
        {"ids": list(person_ids)},
    )
    out: dict[uuid.UUID, list[uuid.UUID]] = {}
    for me, other in rows.all():
        out.setdefault(me, []).append(other)
    return out


async def get(session: AsyncSession, flag_id: uuid.UUID, *, for_update: bool = False) -> PossibleDuplicate | None:
    query = select(PossibleDuplicate).where(PossibleDuplicate.id == flag_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def page(
    session: AsyncSession,
    *,
    areas: Sequence[str] | None,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[PossibleDuplicate, Person, Person]]:
    """Pairs newest first, each with its two records; with ``areas``, only pairs whose two records both lie within
    them (a pair never reveals a record outside the caller's areas)."""
    a, b = aliased(Person), aliased(Person)
    query = (
        select(PossibleDuplicate, a, b)
        .join(a, a.id == PossibleDuplicate.person_id)
        .join(b, b.id == PossibleDuplicate.other_id)
    )
    if areas is not None:
        query = query.where(and_(in_areas(a, areas), in_areas(b, areas)))
    if status:
        query = query.where(PossibleDuplicate.status == status)
    if after is not None:
        query = query.where(
            tuple_(PossibleDuplicate.created_at, PossibleDuplicate.id) < tuple_(literal(after[0]), literal(after[1]))
        )
    query = query.order_by(PossibleDuplicate.created_at.desc(), PossibleDuplicate.id.desc()).limit(limit)
    return [(d, pa, pb) for d, pa, pb in (await session.execute(query)).all()]


async def lock_persons(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Person]:
    rows = await session.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.id).with_for_update())
    return {p.id: p for p in rows}


async def facts(session: AsyncSession, person_id: uuid.UUID) -> dict[str, Any]:
    """What a merge must know of a record: its beneficiary, open household membership and open residency."""
    row = (
        (
            await session.execute(
                text(f"""
        SELECT (SELECT b.id FROM {SCHEMA}.beneficiaries b WHERE b.person_id = :id) AS beneficiary_id,
               (SELECT m.household_id FROM {SCHEMA}.household_members m
                WHERE m.person_id = :id AND m.left_on IS NULL) AS household_id,
               (SELECT r.facility_id FROM {SCHEMA}.residencies r
                WHERE r.person_id = :id AND r.discharged_on IS NULL) AS facility_id
    """),
                {"id": person_id},
            )
        )
        .mappings()
        .one()
    )
    return dict(row)


async def decisions_of(session: AsyncSession, person_id: uuid.UUID) -> int:
    """How many decisions the person's beneficiary has."""
    result = await session.execute(
        text(f"""
        SELECT count(*) FROM {SCHEMA}.decisions d JOIN {SCHEMA}.beneficiaries b ON b.id = d.beneficiary_id
        WHERE b.person_id = :target
    """),
        {"target": person_id},
    )
    return int(result.scalar() or 0)


async def supersede(
    session: AsyncSession, person_id: uuid.UUID, *, except_id: uuid.UUID, by: str, note: str, at: datetime
) -> None:
    """Close the other open pairs of a record merged away (the survivor is flagged afresh)."""
    await session.execute(
        update(PossibleDuplicate)
        .where(
            or_(PossibleDuplicate.person_id == person_id, PossibleDuplicate.other_id == person_id),
            PossibleDuplicate.status == "open",
            PossibleDuplicate.id != except_id,
        )
        .values(status="superseded", note=note, resolved_by=by, resolved_at=at)
    )
