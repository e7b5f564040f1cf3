"""All SQL of artisan enrolments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import literal, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import ArtisanEnrolment


async def lock_person(session: AsyncSession, person_id: uuid.UUID) -> None:
    """Serialise enrolments of one person (released at commit): two at once cannot both pass the overlap check."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"payments.artisans:{person_id}"})


async def overlapping(
    session: AsyncSession, person_id: uuid.UUID, first: date, last: date | None, *, other_than: uuid.UUID | None = None
) -> ArtisanEnrolment | None:
    """An enrolment of the person in force in a month of [first, last] (last None: open-ended)."""
    e = ArtisanEnrolment
    stmt = select(e).where(e.person_id == person_id, or_(e.to_month.is_(None), e.to_month >= first))
    if last is not None:
        stmt = stmt.where(e.from_month <= last)
    if other_than is not None:
        stmt = stmt.where(e.id != other_than)
    return await session.scalar(stmt.limit(1))


async def get(session: AsyncSession, enrolment_id: uuid.UUID, *, for_update: bool = False) -> ArtisanEnrolment | None:
    stmt = select(ArtisanEnrolment).where(ArtisanEnrolment.id == enrolment_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def search(
    session: AsyncSession,
    *,
    areas: Sequence[str] | None,
    commune_code: str | None,
    person_id: uuid.UUID | None,
    in_force: date | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> Sequence[ArtisanEnrolment]:
    e = ArtisanEnrolment
    stmt = select(e)
    if areas is not None:
        stmt = stmt.where(in_areas(ArtisanEnrolment, areas))
    if commune_code:
        stmt = stmt.where(e.commune_code == commune_code)
    if person_id:
        stmt = stmt.where(e.person_id == person_id)
    if in_force is not None:
        stmt = stmt.where(e.from_month <= in_force, or_(e.to_month.is_(None), e.to_month >= in_force))
    if after is not None:
        stmt = stmt.where(tuple_(e.commune_code, e.id) > tuple_(literal(after[0]), literal(after[1])))
    return (await session.scalars(stmt.order_by(e.commune_code, e.id).limit(limit))).all()
