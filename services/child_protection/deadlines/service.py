"""Deadlines of cases and placements: opened and met by the features that own the steps; listed per area;
alerted daily."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.pagination import KEYSET_INT, keyset, page_of

from ..access import Reader
from ..access.service import audit
from ..events import DEADLINE_ALERTS, EVENTS, DeadlineAlerts, StepCount
from ..models import AlertRun
from ..rules.deadlines import Step
from . import repository
from .schemas import DeadlineOut, DeadlinePage


async def open_(
    session: AsyncSession,
    step: Step,
    *,
    child_id: uuid.UUID,
    due_at: datetime,
    area: Any,
    case_id: uuid.UUID | None = None,
    placement_id: uuid.UUID | None = None,
    opened_at: datetime | None = None,
) -> None:
    await repository.open_(
        session,
        step=step.value,
        child_id=child_id,
        case_id=case_id,
        placement_id=placement_id,
        opened_at=opened_at or clock.now(),
        due_at=due_at,
        area=area,
    )


async def meet(
    session: AsyncSession,
    step: Step,
    at: datetime,
    *,
    case_id: uuid.UUID | None = None,
    placement_id: uuid.UUID | None = None,
) -> int:
    return await repository.meet(session, step=step.value, at=at, case_id=case_id, placement_id=placement_id)


def _position(cursor: str | None) -> tuple[datetime, int] | None:
    position = keyset(cursor, datetime.fromisoformat, KEYSET_INT)
    return (position[0], position[1]) if position else None


def _page(rows: list[Any], limit: int, now: datetime) -> DeadlinePage:
    rows, next_cursor = page_of(rows, limit, lambda r: [r.due_at.isoformat(), r.id])
    items = [
        DeadlineOut(
            step=r.step,
            due_at=r.due_at,
            opened_at=r.opened_at,
            case_id=r.case_id,
            case_number=f"CP-{r.serial:06d}" if r.serial is not None else None,
            case_status=r.status,
            placement_id=r.placement_id,
            child_id=r.child_id,
            commune_code=r.commune_code,
            district_code=r.district_code,
            overdue=r.due_at <= now,
        )
        for r in rows
    ]
    return DeadlinePage(items=items, next_cursor=next_cursor)


async def overdue(
    session: AsyncSession, reader: Reader, commune_code: str | None, cursor: str | None, limit: int
) -> DeadlinePage:
    now = clock.now()
    rows = await repository.overdue(session, now, reader.areas, commune_code, _position(cursor), limit + 1)
    page = _page(list(rows), limit, now)
    await audit(session, reader, "deadline_list", None, detail=f"overdue commune={commune_code or ''}")
    return page


async def due_soon(
    session: AsyncSession, reader: Reader, hours: int, commune_code: str | None, cursor: str | None, limit: int
) -> DeadlinePage:
    now = clock.now()
    rows = await repository.due_soon(
        session, now, now + timedelta(hours=hours), reader.areas, commune_code, _position(cursor), limit + 1
    )
    page = _page(list(rows), limit, now)
    await audit(session, reader, "deadline_list", None, detail=f"due-soon commune={commune_code or ''}")
    return page


async def publish_alerts(session: AsyncSession, day: date, due_soon_hours: int) -> dict[str, int]:
    """The day's alerts: one event per commune with overdue or due-soon deadlines; once per day (a second run on
    the same day — another replica, a restart — publishes nothing)."""
    if await session.get(AlertRun, day, with_for_update=True) is not None:
        return {"communes": 0, "overdue": 0, "due_soon": 0}
    now = clock.now()
    rows = await repository.counts_by_commune(session, now, now + timedelta(hours=due_soon_hours))
    per: dict[tuple[str, str, str], list[Any]] = {}
    for r in rows:
        per.setdefault((r.commune_code, r.district_code, r.province_code), []).append(r)
    items = []
    for (commune, district, province), steps in per.items():
        items.append(
            (
                f"deadlines-{commune}",
                DeadlineAlerts(
                    commune_code=commune,
                    district_code=district,
                    province_code=province,
                    day=day,
                    overdue=sum(s.overdue for s in steps),
                    due_soon=sum(s.due_soon for s in steps),
                    due_soon_hours=due_soon_hours,
                    steps=[StepCount(step=s.step, overdue=s.overdue, due_soon=s.due_soon) for s in steps],
                ),
            )
        )
    await EVENTS.publish_many(session, DEADLINE_ALERTS, items)
    total_overdue = sum(a.overdue for _, a in items)
    total_soon = sum(a.due_soon for _, a in items)
    session.add(AlertRun(day=day, overdue=total_overdue, due_soon=total_soon))
    await session.flush()
    return {"communes": len(items), "overdue": total_overdue, "due_soon": total_soon}
