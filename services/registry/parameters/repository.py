"""All SQL of the policy parameter tables. Nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import CategoryRuleRow, StandardLevelRow


async def standard_levels(session: AsyncSession) -> Sequence[StandardLevelRow]:
    return (await session.scalars(select(StandardLevelRow).order_by(StandardLevelRow.valid_from))).all()


async def category_rules(session: AsyncSession, code: str | None = None) -> Sequence[CategoryRuleRow]:
    stmt = select(CategoryRuleRow).order_by(CategoryRuleRow.code, CategoryRuleRow.valid_from)
    if code:
        stmt = stmt.where(CategoryRuleRow.code == code)
    return (await session.scalars(stmt)).all()


async def standard_level(session: AsyncSession, valid_from: date) -> StandardLevelRow | None:
    return await session.get(StandardLevelRow, valid_from)


async def category_rule(session: AsyncSession, code: str, valid_from: date) -> CategoryRuleRow | None:
    return await session.get(CategoryRuleRow, (code, valid_from))


async def add(session: AsyncSession, row: StandardLevelRow | CategoryRuleRow) -> None:
    session.add(row)
    await session.flush()
    await session.refresh(row)  # recorded_at comes from the database
