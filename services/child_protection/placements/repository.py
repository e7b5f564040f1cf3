"""Placements (the only writer of ``placements``)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import ChildGroup, Placement


async def get(session: AsyncSession, placement_id: uuid.UUID, *, for_update: bool = False) -> Placement | None:
    stmt = select(Placement).where(Placement.id == placement_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def of_child(session: AsyncSession, child_id: uuid.UUID) -> list[Placement]:
    return list(
        (
            await session.scalars(select(Placement).where(Placement.child_id == child_id).order_by(Placement.starts_on))
        ).all()
    )


async def add(session: AsyncSession, row: Placement) -> None:
    session.add(row)
    await session.flush()
    await session.refresh(row)


async def in_groups(session: AsyncSession, child_id: uuid.UUID, groups: tuple[str, ...], on: date) -> bool:
    n = await session.scalar(
        select(func.count())
        .select_from(ChildGroup)
        .where(
            ChildGroup.child_id == child_id,
            ChildGroup.group_code.in_(groups),
            ChildGroup.valid_from <= on,
            or_(ChildGroup.valid_to.is_(None), ChildGroup.valid_to >= on),
        )
    )
    return bool(n)
