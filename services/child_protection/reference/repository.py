"""Reference data: circumstance groups, holidays (the only writer of ``holidays``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import CircumstanceGroup, Holiday


async def groups(session: AsyncSession) -> list[CircumstanceGroup]:
    return list((await session.scalars(select(CircumstanceGroup).order_by(CircumstanceGroup.ordinal))).all())


async def group_codes(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(CircumstanceGroup.code))).all())


async def holidays(session: AsyncSession, year: int | None = None) -> list[Holiday]:
    stmt = select(Holiday).order_by(Holiday.day)
    if year is not None:
        stmt = stmt.where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))
    return list((await session.scalars(stmt)).all())


async def holiday_days(session: AsyncSession, since: date) -> frozenset[date]:
    return frozenset((await session.scalars(select(Holiday.day).where(Holiday.day >= since))).all())


async def put_holiday(session: AsyncSession, day: date, name: str, client_id: str) -> None:
    stmt = insert(Holiday).values(day=day, name=name, recorded_by=client_id)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[Holiday.day], set_={"name": name, "recorded_by": client_id})
    )


async def delete_holiday(session: AsyncSession, day: date) -> bool:
    result = await session.execute(delete(Holiday).where(Holiday.day == day))
    return bool(result.rowcount)  # type: ignore[attr-defined]
