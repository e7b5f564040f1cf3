"""All SQL of application drafts (child protection's referrals)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import ApplicationDraft, Person


async def add(session: AsyncSession, draft: dict[str, object]) -> bool:
    """Insert a draft unless the same case already referred the same person for the same category (True if new)."""
    stmt = (
        insert(ApplicationDraft)
        .values(**draft)
        .on_conflict_do_nothing(constraint="uq_application_drafts_referral")
        .returning(ApplicationDraft.id)
    )
    return (await session.execute(stmt)).first() is not None


async def person_exists(session: AsyncSession, person_id: uuid.UUID) -> bool:
    return (await session.scalar(select(Person.id).where(Person.id == person_id))) is not None


async def get(session: AsyncSession, draft_id: uuid.UUID, *, for_update: bool = False) -> ApplicationDraft | None:
    stmt = select(ApplicationDraft).where(ApplicationDraft.id == draft_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def page(
    session: AsyncSession,
    areas: Sequence[str] | None,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[ApplicationDraft]:
    """Oldest first (keyset on received_at, id), limited to the persons within ``areas``."""
    stmt = (
        select(ApplicationDraft)
        .join(Person, Person.id == ApplicationDraft.person_id)
        .order_by(ApplicationDraft.received_at, ApplicationDraft.id)
        .limit(limit)
    )
    if areas is not None:
        stmt = stmt.where(in_areas(Person, areas))
    if status is not None:
        stmt = stmt.where(ApplicationDraft.status == status)
    if after is not None:
        stmt = stmt.where(
            tuple_(ApplicationDraft.received_at, ApplicationDraft.id) > tuple_(literal(after[0]), literal(after[1]))
        )
    return list(await session.scalars(stmt))
