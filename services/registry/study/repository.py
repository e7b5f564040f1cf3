"""All SQL of study periods. Nothing here commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import ChangeRecord, StudyPeriod

RECORD_TYPE = "study_period"


async def of_persons(session: AsyncSession, person_ids: Iterable[uuid.UUID], *,
                     withdrawn: bool = False) -> dict[uuid.UUID, list[StudyPeriod]]:
    """One query: the study periods of each person, by first month (withdrawn ones only when asked)."""
    ids = list(dict.fromkeys(person_ids))
    out: dict[uuid.UUID, list[StudyPeriod]] = {pid: [] for pid in ids}
    if not ids:
        return out
    query = select(StudyPeriod).where(StudyPeriod.person_id.in_(ids))
    if not withdrawn:
        query = query.where(StudyPeriod.withdrawn_at.is_(None))
    for row in await session.scalars(query.order_by(StudyPeriod.from_month, StudyPeriod.id)):
        out[row.person_id].append(row)
    return out


async def get(session: AsyncSession, period_id: uuid.UUID, *, for_update: bool = False) -> StudyPeriod | None:
    query = select(StudyPeriod).where(StudyPeriod.id == period_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def flush(session: AsyncSession, *rows: Any) -> None:
    session.add_all(rows)
    await session.flush()


def add_change(session: AsyncSession, *, record_id: uuid.UUID, version: int, changed_by: str, reason: str,
               before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    session.add(ChangeRecord(record_type=RECORD_TYPE, record_id=record_id, version=version, changed_by=changed_by,
                             reason=reason, before=before, after=after))
