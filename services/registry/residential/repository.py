"""All SQL of the residential-care feature."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, literal, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import UniqueViolation, flush_in_savepoint

from ..models import Facility, Person, Residency

CURRENT_RESIDENCY_INDEX = "uq_residencies_current_person"


class AlreadyResident(Exception):
    """A concurrent writer admitted the person first (the partial unique index decided)."""


async def flush(session: AsyncSession, *objects: Any) -> None:
    """Write ``objects`` now; a concurrent admission's win surfaces as AlreadyResident."""
    try:
        await flush_in_savepoint(session, *objects)
    except UniqueViolation as exc:
        if exc.concerns(CURRENT_RESIDENCY_INDEX):
            raise AlreadyResident from exc
        raise


async def facility(session: AsyncSession, facility_id: uuid.UUID, *, for_update: bool = False) -> Facility | None:
    query = select(Facility).where(Facility.id == facility_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def residency(session: AsyncSession, residency_id: uuid.UUID, *, for_update: bool = False) -> Residency | None:
    query = select(Residency).where(Residency.id == residency_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def current_residency(session: AsyncSession, person_id: uuid.UUID) -> Residency | None:
    return await session.scalar(
        select(Residency).where(Residency.person_id == person_id, Residency.discharged_on.is_(None))
    )


async def counts_by_category(session: AsyncSession, facility_id: uuid.UUID) -> dict[str, int]:
    rows = await session.execute(
        select(Residency.category, func.count())
        .where(Residency.facility_id == facility_id, Residency.discharged_on.is_(None))
        .group_by(Residency.category)
    )
    return {category: count for category, count in rows.tuples()}


async def current_residents(
    session: AsyncSession, facility_id: uuid.UUID, *, after: tuple[date, uuid.UUID] | None, limit: int
) -> list[tuple[Residency, str]]:
    """Open residencies of a facility with the person's name, by (admitted_on, id)."""
    query = (
        select(Residency, Person.full_name)
        .join(Person, Person.id == Residency.person_id)
        .where(Residency.facility_id == facility_id, Residency.discharged_on.is_(None))
    )
    if after is not None:
        query = query.where(tuple_(Residency.admitted_on, Residency.id) > tuple_(literal(after[0]), literal(after[1])))
    query = query.order_by(Residency.admitted_on, Residency.id).limit(limit)
    return [(r, name) for r, name in (await session.execute(query)).tuples()]


async def residencies_of(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Residency]]:
    """Every residency (open or closed) of these persons, by admission."""
    ids = list(person_ids)
    out: dict[uuid.UUID, list[Residency]] = {pid: [] for pid in ids}
    if not ids:
        return out
    rows = await session.scalars(
        select(Residency).where(Residency.person_id.in_(ids)).order_by(Residency.admitted_on, Residency.id)
    )
    for r in rows:
        out[r.person_id].append(r)
    return out


async def rekey_person(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> int:
    """Re-key ``source``'s residencies to ``target`` (an officer's merge of two records of one person). Rows moved."""
    result = await session.execute(
        update(Residency)
        .where(Residency.person_id == source)
        .values(person_id=target)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
