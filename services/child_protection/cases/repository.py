"""Cases, their steps, plans, support items and separations (the only writer of those tables)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import Case, CaseStep, Deadline, Plan, Separation, SupportItem


async def get(session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False) -> Case | None:
    stmt = select(Case).where(Case.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def add(session: AsyncSession, *rows: Case | CaseStep | Plan | SupportItem | Separation) -> None:
    session.add_all(rows)
    await session.flush()


async def page(
    session: AsyncSession,
    areas: Sequence[str] | None,
    *,
    status: str | None,
    commune_code: str | None,
    child_id: uuid.UUID | None,
    open_only: bool,
    before: int | None,
    limit: int,
) -> list[Case]:
    stmt = select(Case).order_by(Case.serial.desc()).limit(limit)
    if areas is not None:
        stmt = stmt.where(in_areas(Case, areas))
    if status is not None:
        stmt = stmt.where(Case.status == status)
    if open_only:
        stmt = stmt.where(Case.status != "closed")
    if commune_code is not None:
        stmt = stmt.where(Case.commune_code == commune_code)
    if child_id is not None:
        stmt = stmt.where(Case.child_id == child_id)
    if before is not None:
        stmt = stmt.where(Case.serial < before)
    return list((await session.scalars(stmt)).all())


async def steps(session: AsyncSession, case_id: uuid.UUID) -> list[CaseStep]:
    return list(
        (await session.scalars(select(CaseStep).where(CaseStep.case_id == case_id).order_by(CaseStep.id))).all()
    )


async def plans(session: AsyncSession, case_id: uuid.UUID) -> list[Plan]:
    return list((await session.scalars(select(Plan).where(Plan.case_id == case_id).order_by(Plan.number))).all())


async def next_plan_number(session: AsyncSession, case_id: uuid.UUID) -> int:
    return int(
        await session.scalar(select(func.coalesce(func.max(Plan.number), 0) + 1).where(Plan.case_id == case_id)) or 1
    )


async def support_items(
    session: AsyncSession, case_id: uuid.UUID, plan_id: uuid.UUID | None = None
) -> list[SupportItem]:
    stmt = select(SupportItem).where(SupportItem.case_id == case_id).order_by(SupportItem.updated_at, SupportItem.id)
    if plan_id is not None:
        stmt = stmt.where(SupportItem.plan_id == plan_id)
    return list((await session.scalars(stmt)).all())


async def support_item(session: AsyncSession, item_id: uuid.UUID) -> SupportItem | None:
    return await session.scalar(select(SupportItem).where(SupportItem.id == item_id).with_for_update())


async def separations(session: AsyncSession, case_id: uuid.UUID) -> list[Separation]:
    return list(
        (
            await session.scalars(
                select(Separation).where(Separation.case_id == case_id).order_by(Separation.decided_at)
            )
        ).all()
    )


async def deadlines(session: AsyncSession, case_id: uuid.UUID) -> list[Deadline]:
    return list(
        (
            await session.scalars(
                select(Deadline).where(Deadline.case_id == case_id).order_by(Deadline.due_at, Deadline.id)
            )
        ).all()
    )
