"""All SQL of administrative units and their 2025 mapping. Nothing here commits."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date

from sqlalchemy import (
    ColumnElement,
    Date,
    Row,
    Select,
    Text,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

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


def _folded(column: ColumnElement[str]) -> ColumnElement[str]:
    return func.lower(func.translate(column, _FROM, _TO))


def _valid_on(on: date) -> ColumnElement[bool]:
    return and_(AdminUnit.valid_from <= on, or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > on))


def _in_force_communes() -> Select[tuple[str, str, str, str, str | None, str, date, date | None]]:
    """The communes in force since the 2025 reorganisation, as unit rows: each ``new_code`` of the mapping (a new
    commune often reuses the code of an old one, whose own row ends on 2025-07-01), with no district above it, unless
    an administrator recorded it as a unit of its own (then that row is listed)."""
    m = UnitMapping
    name = func.min(m.new_name)
    kind = case(
        (name.like("Phường %"), literal("Phường")),
        (name.like("Xã %"), literal("Xã")),
        (name.like("Đặc khu %"), literal("Đặc khu")),
        (name.like("Thị trấn %"), literal("Thị trấn")),
        else_=literal(""),
    )
    recorded = exists().where(AdminUnit.code == m.new_code, AdminUnit.valid_to.is_(None))
    return (
        select(
            m.new_code.label("code"),
            name.label("name"),
            literal("commune").label("level"),
            kind.label("kind"),
            cast(null(), Text).label("parent_code"),
            func.min(m.new_province_code).label("province_code"),
            func.min(m.effective_from).label("valid_from"),
            cast(null(), Date).label("valid_to"),
        )
        .where(~recorded)
        .group_by(m.new_code)
    )


def cursor_of(row: Row[tuple[str, str, str, str, str | None, str, date, date | None]]) -> str:
    """A page's ``next_cursor``: the last row's code and first day (a code can be both an old commune and the new
    commune that reused it)."""
    return f"{row.code}.{row.valid_from:%Y%m%d}"


def parse_cursor(cursor: str) -> tuple[str, date] | None:
    """``(code, valid_from)`` of :func:`cursor_of`; ``None`` when it is not one."""
    code, _, day = cursor.partition(".")
    try:
        return code, date(int(day[:4]), int(day[4:6]), int(day[6:8]))
    except ValueError:
        return None


async def list_units(
    session: AsyncSession,
    *,
    level: str | None = None,
    parent: str | None = None,
    valid_on: date | None = None,
    q: str | None = None,
    after: tuple[str, date] | None = None,
    limit: int = 100,
) -> Sequence[Row[tuple[str, str, str, str, str | None, str, date, date | None]]]:
    """Units recorded (``admin_units``) and the communes in force since 2025 (:func:`_in_force_communes`), in code
    order, then oldest first for a code that is both."""
    a = AdminUnit
    recorded = select(
        a.code, a.name, a.level, a.kind, a.parent_code, a.province_code, a.valid_from, a.valid_to
    ).subquery()
    units = select(recorded).union_all(select(_in_force_communes().subquery())).subquery()
    stmt = select(units)
    if level:
        stmt = stmt.where(units.c.level == level)
    if parent:
        stmt = stmt.where(units.c.parent_code == parent)
    if valid_on:
        stmt = stmt.where(units.c.valid_from <= valid_on, or_(units.c.valid_to.is_(None), units.c.valid_to > valid_on))
    if q:
        stmt = stmt.where(
            or_(
                units.c.code == q,
                _folded(units.c.name).contains(fold(q), autoescape=True),
            )
        )
    if after:
        stmt = stmt.where(tuple_(units.c.code, units.c.valid_from) > tuple_(literal(after[0]), literal(after[1])))
    stmt = stmt.order_by(units.c.code, units.c.valid_from).limit(limit)
    return (await session.execute(stmt)).all()


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
