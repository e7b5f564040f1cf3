"""All SQL of the coverage check: find the card valid on a day by the national-ID digest and audit the call, in one
statement (one round trip; the lookup goes through ``uq_persons_national_id_digest`` and
``ix_cards_person_valid_from``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.db import autocommit

_FIND_AND_AUDIT = text("""
    WITH found AS (
        SELECT c.group_code, g.benefit_level, c.valid_from, c.valid_to
        FROM insurance.persons p
        JOIN insurance.cards c ON c.person_id = p.id AND c.valid_from <= :on
                              AND (c.valid_to IS NULL OR c.valid_to >= :on)
        JOIN insurance.card_groups g ON g.code = c.group_code
        WHERE p.national_id_digest = :digest
        ORDER BY c.valid_from DESC LIMIT 1
    ), audit AS (
        INSERT INTO insurance.coverage_reads (client_id, purpose, national_id_digest, on_day, covered)
        SELECT :client, :purpose, :digest, :on, EXISTS (SELECT FROM found)
    )
    SELECT * FROM found""")


async def card_on_audited(
    sessionmaker: async_sessionmaker[AsyncSession], digest: str, on: date, client_id: str, purpose: str
) -> Row[Any] | None:
    """The card valid on ``on`` (None: none), the call recorded in ``coverage_reads`` whatever the answer. One
    statement in autocommit: one round trip (no BEGIN, no COMMIT), committed when it returns; asyncpg keeps it
    prepared on the connection."""
    params = {"digest": digest, "on": on, "client": client_id, "purpose": purpose}
    async with autocommit(sessionmaker) as conn:
        return (await conn.execute(_FIND_AND_AUDIT, params)).first()
