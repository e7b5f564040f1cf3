"""All SQL of the coverage check: find the card valid on a day by the national-ID digest and audit the call, in one
statement (one round trip; the lookup goes through ``uq_persons_national_id_digest`` and
``ix_cards_person_valid_from``).

It runs on the asyncpg connection itself (:func:`common.db.driver_connection`), not through SQLAlchemy: the call is
the hottest path of the service (hospitals, field-officer apps), and SQLAlchemy's layers (greenlet hand-off, pool
checkout events, execution options, compiled-cache lookup) cost several times the statement itself. asyncpg keeps the
statement prepared on each connection (its statement cache), so a call is one Bind/Execute round trip."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.db import DriverPool, driver_connection

FIND_AND_AUDIT = """
    WITH found AS (
        SELECT c.group_code, g.benefit_level, c.valid_from, c.valid_to
        FROM insurance.persons p
        JOIN insurance.cards c ON c.person_id = p.id AND c.valid_from <= $2::date
                              AND (c.valid_to IS NULL OR c.valid_to >= $2::date)
        JOIN insurance.card_groups g ON g.code = c.group_code
        WHERE p.national_id_digest = $1::text
        ORDER BY c.valid_from DESC LIMIT 1
    ), audit AS (
        INSERT INTO insurance.coverage_reads (client_id, purpose, national_id_digest, on_day, covered)
        SELECT $3::text, $4::text, $1::text, $2::date, EXISTS (SELECT FROM found)
    )
    SELECT group_code, benefit_level, valid_from, valid_to FROM found"""


async def card_on_audited(
    sessionmaker: async_sessionmaker[AsyncSession],
    pool: DriverPool | None,
    digest: str,
    on: date,
    client_id: str,
    purpose: str,
) -> Any | None:
    """The card valid on ``on`` (an asyncpg record, None: none), the call recorded in ``coverage_reads`` whatever the
    answer. One statement in autocommit: one round trip (no BEGIN, no COMMIT), committed when it returns."""
    async with driver_connection(sessionmaker, pool) as conn:
        return await conn.fetchrow(FIND_AND_AUDIT, digest, on, client_id, purpose)
