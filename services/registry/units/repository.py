"""All SQL of administrative units and their 2025 mapping. Nothing here commits."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from ..models import AdminUnit, UnitMapping


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics (``"Phường Hòa Thuận"`` → ``"phuong hoa thuan"``)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _translation() -> tuple[str, str]:
    # Every precomposed Latin letter with diacritics Vietnamese uses, both cases, mapped to its base letter,
    # so the database folds names the way :func:`fold` folds the query (lower() alone is ASCII-only under C).
    src, dst = [], []
    for cp in range(0x00C0, 0x1EFA):
        ch = chr(cp)
        base = fold(ch)
        if ch.isalpha() and len(base) == 1 and base.isascii() and base != ch:
            src.append(ch)
            dst.append(base)
    return "".join(src), "".join(dst)


_FROM, _TO = _translation()


def _folded(column: QueryableAttribute[str]) -> ColumnElement[str]:
    return func.lower(func.translate(column, _FROM, _TO))


def _valid_on(on: date) -> ColumnElement[bool]:
    return and_(AdminUnit.valid_from <= on, or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > on))


async def list_units(
    session: AsyncSession,
    *,
    level: str | None = None,
    parent: str | None = None,
    valid_on: date | None = None,
    q: str | None = None,
    after: str | None = None,
    limit: int = 100,
) -> Sequence[AdminUnit]:
    stmt: Select[tuple[AdminUnit]] = select(AdminUnit)
    if level:
        stmt = stmt.where(AdminUnit.level == level)
    if parent:
        stmt = stmt.where(AdminUnit.parent_code == parent)
    if valid_on:
        stmt = stmt.where(_valid_on(valid_on))
    if q:
        stmt = stmt.where(or_(AdminUnit.code == q, _folded(AdminUnit.name).contains(fold(q), autoescape=True)))
    if after:
        stmt = stmt.where(AdminUnit.code > after)
    return (await session.scalars(stmt.order_by(AdminUnit.code).limit(limit))).all()


async def get(session: AsyncSession, code: str) -> AdminUnit | None:
    return await session.get(AdminUnit, code)


async def commune(session: AsyncSession, code: str, on: date) -> AdminUnit | None:
    """The commune ``code`` if it existed on ``on`` (``None`` if unknown, not a commune or not valid then)."""
    return await session.scalar(
        select(AdminUnit).where(AdminUnit.code == code, AdminUnit.level == "commune", _valid_on(on))
    )


async def new_commune_for(session: AsyncSession, old_code: str) -> Sequence[UnitMapping]:
    """The unit(s) an old commune became in the 2025 reorganisation (several when it was split), by code.

    For reporting by new units (``?units=2025``); empty when the commune has no mapping.
    """
    stmt = select(UnitMapping).where(UnitMapping.old_code == old_code).order_by(UnitMapping.new_code)
    return (await session.scalars(stmt)).all()


async def successors(session: AsyncSession, old_code: str) -> Sequence[tuple[UnitMapping, str]]:
    """Mappings old → new of ``old_code``, each with the old unit's name."""
    stmt = (
        select(UnitMapping, AdminUnit.name)
        .join(AdminUnit, AdminUnit.code == UnitMapping.old_code)
        .where(UnitMapping.old_code == old_code)
        .order_by(UnitMapping.new_code)
    )
    return [(m, name) for m, name in (await session.execute(stmt)).all()]


async def predecessors(session: AsyncSession, new_code: str) -> Sequence[tuple[UnitMapping, str]]:
    """Mappings new ← old into ``new_code``, each with the old unit's name."""
    stmt = (
        select(UnitMapping, AdminUnit.name)
        .join(AdminUnit, AdminUnit.code == UnitMapping.old_code)
        .where(UnitMapping.new_code == new_code)
        .order_by(UnitMapping.old_code)
    )
    return [(m, name) for m, name in (await session.execute(stmt)).all()]


async def get_mapping(session: AsyncSession, old_code: str, new_code: str) -> UnitMapping | None:
    return await session.get(UnitMapping, (old_code, new_code))


async def add(session: AsyncSession, row: AdminUnit | UnitMapping) -> None:
    session.add(row)
    await session.flush()


async def delete_mapping(session: AsyncSession, old_code: str, new_code: str) -> int:
    result = await session.execute(
        delete(UnitMapping).where(UnitMapping.old_code == old_code, UnitMapping.new_code == new_code)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
