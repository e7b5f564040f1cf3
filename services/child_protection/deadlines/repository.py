"""Deadlines (the only writer of ``deadlines``): open, meet, and the lists — one query each."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import Case, Deadline


async def open_(
    session: AsyncSession,
    *,
    step: str,
    child_id: uuid.UUID,
    case_id: uuid.UUID | None,
    placement_id: uuid.UUID | None,
    opened_at: datetime,
    due_at: datetime,
    area: Any,
) -> None:
    await session.execute(
        insert(Deadline).values(
            step=step,
            child_id=child_id,
            case_id=case_id,
            placement_id=placement_id,
            opened_at=opened_at,
            due_at=due_at,
            commune_code=area.commune_code,
            district_code=area.district_code,
            province_code=area.province_code,
        )
    )


async def meet(
    session: AsyncSession,
    *,
    step: str,
    at: datetime,
    case_id: uuid.UUID | None = None,
    placement_id: uuid.UUID | None = None,
) -> int:
    """Mark the open deadline(s) of ``step`` met at ``at``; how many there were."""
    # A case's own limits only: a placement decided in the case has its carer reports, met by the placement.
    owner = (
        and_(Deadline.case_id == case_id, Deadline.placement_id.is_(None))
        if case_id is not None
        else Deadline.placement_id == placement_id
    )
    result = await session.execute(
        update(Deadline).where(owner, Deadline.step == step, Deadline.met_at.is_(None)).values(met_at=at)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _listing(
    areas: Sequence[str] | None, commune_code: str | None, after: tuple[datetime, int] | None, limit: int
) -> Any:
    stmt = (
        select(
            Deadline.id,
            Deadline.step,
            Deadline.due_at,
            Deadline.opened_at,
            Deadline.case_id,
            Deadline.placement_id,
            Deadline.child_id,
            Deadline.commune_code,
            Deadline.district_code,
            Case.serial,
            Case.status,
        )
        .outerjoin(Case, Case.id == Deadline.case_id)
        .where(Deadline.met_at.is_(None))
        .order_by(Deadline.due_at, Deadline.id)
        .limit(limit)
    )
    if areas is not None:
        stmt = stmt.where(in_areas(Deadline, areas))
    if commune_code is not None:
        stmt = stmt.where(Deadline.commune_code == commune_code)
    if after is not None:
        stmt = stmt.where(func.row(Deadline.due_at, Deadline.id) > func.row(*after))
    return stmt


async def overdue(
    session: AsyncSession,
    now: datetime,
    areas: Sequence[str] | None,
    commune_code: str | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    stmt = _listing(areas, commune_code, after, limit).where(Deadline.due_at <= now)
    return (await session.execute(stmt)).all()


async def due_soon(
    session: AsyncSession,
    now: datetime,
    until: datetime,
    areas: Sequence[str] | None,
    commune_code: str | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    stmt = _listing(areas, commune_code, after, limit).where(Deadline.due_at > now, Deadline.due_at <= until)
    return (await session.execute(stmt)).all()


async def counts_by_commune(session: AsyncSession, now: datetime, until: datetime) -> Sequence[Row[Any]]:
    """Per commune and step: overdue and due-soon open deadlines (the daily alerts)."""
    overdue_ = func.count().filter(Deadline.due_at <= now)
    soon = func.count().filter(and_(Deadline.due_at > now, Deadline.due_at <= until))
    stmt = (
        select(
            Deadline.commune_code,
            Deadline.district_code,
            Deadline.province_code,
            Deadline.step,
            overdue_.label("overdue"),
            soon.label("due_soon"),
        )
        .where(Deadline.met_at.is_(None), Deadline.due_at <= until)
        .group_by(Deadline.commune_code, Deadline.district_code, Deadline.province_code, Deadline.step)
        .order_by(Deadline.commune_code, Deadline.step)
    )
    return (await session.execute(stmt)).all()


async def compliance(
    session: AsyncSession, now: datetime, areas: Sequence[str] | None, since: datetime | None, until: datetime | None
) -> Sequence[Row[Any]]:
    """Per step: met on time, met late, open and overdue, open and not yet due — for deadlines due in the
    period."""
    on_time = func.count().filter(and_(Deadline.met_at.is_not(None), Deadline.met_at < Deadline.due_at))
    late = func.count().filter(and_(Deadline.met_at.is_not(None), Deadline.met_at >= Deadline.due_at))
    overdue_ = func.count().filter(and_(Deadline.met_at.is_(None), Deadline.due_at <= now))
    pending = func.count().filter(and_(Deadline.met_at.is_(None), Deadline.due_at > now))
    stmt = (
        select(
            Deadline.step,
            on_time.label("on_time"),
            late.label("late"),
            overdue_.label("overdue"),
            pending.label("open"),
        )
        .group_by(Deadline.step)
        .order_by(Deadline.step)
    )
    if areas is not None:
        stmt = stmt.where(in_areas(Deadline, areas))
    if since is not None:
        stmt = stmt.where(Deadline.due_at >= since)
    if until is not None:
        stmt = stmt.where(Deadline.due_at < until)
    return (await session.execute(stmt)).all()
