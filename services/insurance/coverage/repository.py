"""All SQL of the coverage check: find the card valid on a day by the national-ID digest, and audit the call."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

_FIND = text("""
    SELECT c.group_code, g.benefit_level, c.valid_from, c.valid_to
    FROM insurance.persons p
    JOIN insurance.cards c ON c.person_id = p.id AND c.valid_from <= :on AND (c.valid_to IS NULL OR c.valid_to >= :on)
    JOIN insurance.card_groups g ON g.code = c.group_code
    WHERE p.national_id_digest = :digest
    ORDER BY c.valid_from DESC LIMIT 1""")

_AUDIT = text("""
    INSERT INTO insurance.coverage_reads (client_id, purpose, national_id_digest, on_day, covered)
    VALUES (:client, :purpose, :digest, :on, :covered)""")


async def card_on(session: AsyncSession, digest: str, on: date) -> Row[Any] | None:
    return (await session.execute(_FIND, {"digest": digest, "on": on})).first()


async def audit(session: AsyncSession, client_id: str, purpose: str, digest: str, on: date, covered: bool) -> None:
    await session.execute(_AUDIT, {"client": client_id, "purpose": purpose, "digest": digest, "on": on,
                                   "covered": covered})
