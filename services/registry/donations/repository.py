"""All SQL of donations and the facilities' yearly figures."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import Donation, Facility, Person, Residency


async def add(session: AsyncSession, row: Donation) -> None:
    session.add(row)
    await session.flush()
    await session.refresh(row)


async def resident_on(session: AsyncSession, facility_id: uuid.UUID, person_id: uuid.UUID, day: date) -> bool:
    return bool(
        await session.scalar(
            select(func.count())
            .select_from(Residency)
            .where(
                Residency.facility_id == facility_id,
                Residency.person_id == person_id,
                Residency.admitted_on <= day,
                (Residency.discharged_on.is_(None)) | (Residency.discharged_on > day),
            )
        )
    )


async def page(
    session: AsyncSession,
    facility_id: uuid.UUID,
    first: date,
    last: date,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
) -> Sequence[Donation]:
    d = Donation
    stmt = select(d).where(d.facility_id == facility_id, d.received_on.between(first, last))
    if after is not None:
        stmt = stmt.where(tuple_(d.received_on, d.id) > tuple_(literal(after[0]), literal(after[1])))
    return (await session.scalars(stmt.order_by(d.received_on, d.id).limit(limit))).all()


async def facilities(session: AsyncSession, areas: Sequence[str] | None) -> Sequence[Facility]:
    stmt = select(Facility).order_by(Facility.province_code, Facility.commune_code, Facility.name, Facility.id)
    if areas is not None:
        stmt = stmt.where(in_areas(Facility, areas))
    return (await session.scalars(stmt)).all()


async def residents_on(session: AsyncSession, ids: Sequence[uuid.UUID], day: date) -> dict[tuple[uuid.UUID, str], int]:
    """Residents of each facility on ``day``, by category."""
    rows = await session.execute(
        select(Residency.facility_id, Residency.category, func.count())
        .where(
            Residency.facility_id.in_(ids),
            Residency.admitted_on <= day,
            (Residency.discharged_on.is_(None)) | (Residency.discharged_on > day),
        )
        .group_by(Residency.facility_id, Residency.category)
    )
    return {(f, c): n for f, c, n in rows.tuples()}


async def donation_totals(
    session: AsyncSession, ids: Sequence[uuid.UUID], first: date, last: date
) -> dict[uuid.UUID, dict[str, Any]]:
    d = Donation
    rows = await session.execute(
        select(
            d.facility_id,
            func.count(),
            func.count(d.donor.distinct()),
            func.coalesce(func.sum(d.value).filter(d.form == "cash"), 0),
            func.coalesce(func.sum(d.value).filter(d.form == "in_kind"), 0),
        )
        .where(d.facility_id.in_(ids), d.received_on.between(first, last))
        .group_by(d.facility_id)
    )
    return {
        f: {"donations": n, "donors": donors, "cash": int(cash), "in_kind": int(kind)}
        for f, n, donors, cash, kind in rows.tuples()
    }


async def raised_for(
    session: AsyncSession, ids: Sequence[uuid.UUID], first: date, last: date
) -> list[tuple[uuid.UUID, uuid.UUID, str, int]]:
    d = Donation
    total = func.sum(d.value)
    rows = await session.execute(
        select(d.facility_id, d.for_person_id, Person.full_name, total)
        .join(Person, Person.id == d.for_person_id)
        .where(d.facility_id.in_(ids), d.received_on.between(first, last))
        .group_by(d.facility_id, d.for_person_id, Person.full_name)
        .order_by(total.desc(), d.for_person_id)
    )
    return [(f, p, name, int(v)) for f, p, name, v in rows.tuples() if p is not None]
