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


# A merge (``registry.person.merged.v1``): the merged record's enrolments still paying from ``:month`` on follow
# the person; where the survivor has an enrolment of its own still paying, the merged record's ends instead (its last
# month the one before ``:month``, or its first), so one artisan is never paid twice for a month from now on.
_MERGE = text("""
    WITH survivor AS (
        SELECT 1 FROM payments.artisan_enrolments
        WHERE person_id = :survivor AND (to_month IS NULL OR to_month >= :month) LIMIT 1
    ), ended AS (
        UPDATE payments.artisan_enrolments
        SET to_month = GREATEST(from_month, CAST(:month AS date) - interval '1 month')::date, version = version + 1,
            ended_at = now(), ended_by = :by, end_basis = :basis
        WHERE person_id = :merged AND (to_month IS NULL OR to_month >= :month) AND EXISTS (SELECT 1 FROM survivor)
        RETURNING id
    )
    UPDATE payments.artisan_enrolments SET person_id = :survivor
    WHERE person_id = :merged AND (to_month IS NULL OR to_month >= :month) AND NOT EXISTS (SELECT 1 FROM survivor)""")


async def merge(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID, month: date, by: str) -> None:
    await session.execute(
        _MERGE,
        {
            "merged": merged,
            "survivor": survivor,
            "month": month,
            "by": by,
            "basis": f"record {merged} merged into {survivor}, whose enrolment continues",
        },
    )
