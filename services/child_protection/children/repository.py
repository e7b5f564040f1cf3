"""Children and their group memberships (the only writer of ``children`` and ``child_groups``)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Child, ChildGroup


async def get(session: AsyncSession, child_id: uuid.UUID, *, for_update: bool = False) -> Child | None:
    stmt = select(Child).where(Child.id == child_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def by_person(session: AsyncSession, person_id: uuid.UUID, *, for_update: bool = False) -> Child | None:
    stmt = select(Child).where(Child.person_id == person_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def add(session: AsyncSession, child: Child) -> None:
    session.add(child)
    await session.flush()
    await session.refresh(child)


async def memberships(session: AsyncSession, child_id: uuid.UUID) -> list[ChildGroup]:
    return list(
        (
            await session.scalars(
                select(ChildGroup)
                .where(ChildGroup.child_id == child_id)
                .order_by(ChildGroup.group_code, ChildGroup.valid_from)
            )
        ).all()
    )


async def membership(session: AsyncSession, child_id: uuid.UUID, membership_id: int) -> ChildGroup | None:
    return await session.scalar(
        select(ChildGroup).where(ChildGroup.child_id == child_id, ChildGroup.id == membership_id).with_for_update()
    )


async def add_membership(
    session: AsyncSession, child_id: uuid.UUID, group: str, valid_from: date, evidence: str, client_id: str
) -> ChildGroup:
    row = ChildGroup(
        child_id=child_id, group_code=group, valid_from=valid_from, evidence=evidence, recorded_by=client_id
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row
