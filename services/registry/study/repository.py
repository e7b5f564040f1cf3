"""All SQL of study periods. Nothing here commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import StudyPeriod

RECORD_TYPE = "study_period"


async def of_persons(
    session: AsyncSession, person_ids: Iterable[uuid.UUID], *, withdrawn: bool = False
) -> dict[uuid.UUID, list[StudyPeriod]]:
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


async def flush(session: AsyncSession, *rows: StudyPeriod) -> None:
    session.add_all(rows)
    await session.flush()


async def rekey_person(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> int:
    """Re-key ``source``'s study periods to ``target`` (an officer's merge of two records of one person). Rows
    moved."""
    result = await session.execute(
        update(StudyPeriod)
        .where(StudyPeriod.person_id == source)
        .values(person_id=target)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
