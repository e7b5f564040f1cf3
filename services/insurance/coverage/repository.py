"""All SQL of the coverage check: find the card valid on a day by the national-ID digest and audit the call, in one
statement for all the calls that arrive together (one round trip and one commit; each lookup goes through
``uq_persons_national_id_digest`` and ``ix_cards_person_valid_from``).

It runs on the asyncpg connection itself (:func:`common.db.driver_connection`), not through SQLAlchemy: the call is
the hottest path of the service (hospitals, field-officer apps), and SQLAlchemy's layers (greenlet hand-off, pool
checkout events, execution options, compiled-cache lookup) cost several times the statement itself. asyncpg keeps the
statement prepared on each connection (its statement cache), so a call is one Bind/Execute round trip."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.db import DriverPool, driver_connection

FIND_AND_AUDIT = """
    WITH asked AS (
        SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[])
            WITH ORDINALITY AS a(digest, on_day, client_id, purpose, n)
    ), found AS (
        SELECT a.n, a.digest, a.on_day, a.client_id, a.purpose, f.group_code, f.benefit_level, f.valid_from, f.valid_to
        FROM asked a
        LEFT JOIN LATERAL (
            SELECT c.group_code, g.benefit_level, c.valid_from, c.valid_to
            FROM insurance.persons p
            JOIN insurance.cards c ON c.person_id = p.id AND c.valid_from <= a.on_day
                                  AND (c.valid_to IS NULL OR c.valid_to >= a.on_day)
            JOIN insurance.card_groups g ON g.code = c.group_code
            WHERE p.national_id_digest = a.digest
            ORDER BY c.valid_from DESC LIMIT 1
        ) f ON true
    ), audit AS (
        INSERT INTO insurance.coverage_reads (client_id, purpose, national_id_digest, on_day, covered)
        SELECT client_id, purpose, digest, on_day, group_code IS NOT NULL FROM found ORDER BY n
    )
    SELECT n, group_code, benefit_level, valid_from, valid_to FROM found WHERE group_code IS NOT NULL"""


class Asked(NamedTuple):
    """One coverage call: the person (by the national ID's keyed digest), the day, the caller and its purpose."""

    digest: str
    on: date
    client_id: str
    purpose: str


async def cards_on_audited(
    sessionmaker: async_sessionmaker[AsyncSession], pool: DriverPool | None, calls: Sequence[Asked]
) -> list[Any | None]:
    """For each call, the card valid on its day (an asyncpg record; None: none), every call recorded in
    ``coverage_reads`` whatever the answer. One statement in autocommit for all the calls (one round trip, one commit:
    :class:`common.batching.GroupCommitter` gathers the calls that arrive together), committed when it returns."""
    async with driver_connection(sessionmaker, pool) as conn:
        rows = await conn.fetch(
            FIND_AND_AUDIT,
            [c.digest for c in calls],
            [c.on for c in calls],
            [c.client_id for c in calls],
            [c.purpose for c in calls],
        )
    found: list[Any | None] = [None] * len(calls)
    for row in rows:
        found[row["n"] - 1] = row
    return found
