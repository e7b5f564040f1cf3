"""All SQL of application drafts (child protection's referrals)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import literal, select, text, tuple_
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


async def current_record(session: AsyncSession, person_id: uuid.UUID) -> uuid.UUID | None:
    """The record that stands for ``person_id`` now (its survivor if it was merged away); None if unknown."""
    row = (await session.execute(select(Person.id, Person.merged_into).where(Person.id == person_id))).first()
    return None if row is None else (row.merged_into or row.id)


# A merge: the merged record's open drafts become the survivor's; one the survivor already has (same case and
# category) is dismissed instead, with the reason. Decided drafts stay as they were (their applications moved).
_MERGE = text("""
    WITH twice AS (
        UPDATE registry.application_drafts d
        SET status = 'dismissed', dismiss_reason = :reason, decided_by = :by, decided_at = :at
        WHERE d.person_id = :merged AND d.status = 'draft' AND EXISTS (
            SELECT 1 FROM registry.application_drafts s
            WHERE s.person_id = :survivor AND s.case_id = d.case_id AND s.category = d.category)
        RETURNING d.id
    )
    UPDATE registry.application_drafts SET person_id = :survivor
    WHERE person_id = :merged AND status = 'draft' AND id NOT IN (SELECT id FROM twice)""")


async def rekey_open(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID, by: str, at: datetime) -> int:
    result = await session.execute(
        _MERGE,
        {
            "merged": merged,
            "survivor": survivor,
            "by": by,
            "at": at,
            "reason": f"merged into {survivor}, which has the same referral",
        },
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


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
