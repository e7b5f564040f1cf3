"""All SQL of the level-changes job."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import exists, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import BeneficiaryRow, HouseholdMember, LevelChange, Person, PovertyStatus

LOCK_KEY = "ansinh.registry.level_changes"


async def lock(session: AsyncSession) -> None:
    """Wait until no other run (another request, another replica) is inside its transaction. Runs queue
    instead of computing the same changes twice; the primary key of level_changes is what guarantees once."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": LOCK_KEY})


async def candidates(
    session: AsyncSession,
    *,
    birth_ranges: Sequence[tuple[date, date]],
    month: date,
    after: uuid.UUID | None,
    limit: int,
) -> list[tuple[BeneficiaryRow, Person]]:
    """Beneficiaries born within ``birth_ranges`` with no change published for ``month`` yet, with their persons,
    in id order after ``after`` (keyset). Uses the index on persons.date_of_birth."""
    if not birth_ranges:
        return []
    query = (
        select(BeneficiaryRow, Person)
        .join(Person, Person.id == BeneficiaryRow.person_id)
        .where(or_(*(Person.date_of_birth.between(first, last) for first, last in birth_ranges)))
        .where(~exists().where(LevelChange.beneficiary_id == BeneficiaryRow.id, LevelChange.effective_month == month))
    )
    if after is not None:
        query = query.where(BeneficiaryRow.id > after)
    rows = await session.execute(query.order_by(BeneficiaryRow.id).limit(limit))
    return [(b, p) for b, p in rows.tuples()]


async def poverty_statuses(session: AsyncSession, person_ids: Sequence[uuid.UUID], day: date) -> dict[uuid.UUID, str]:
    """One query: the poverty status in force on ``day`` of each person's current household (absent: none known)."""
    if not person_ids:
        return {}
    rows = await session.execute(
        select(HouseholdMember.person_id, PovertyStatus.status)
        .join(PovertyStatus, PovertyStatus.household_id == HouseholdMember.household_id)
        .where(
            HouseholdMember.person_id.in_(person_ids),
            HouseholdMember.left_on.is_(None),
            PovertyStatus.valid_from <= day,
        )
        .order_by(HouseholdMember.person_id, PovertyStatus.valid_from.desc(), PovertyStatus.id.desc())
        .distinct(HouseholdMember.person_id)
    )
    return dict(rows.tuples().all())


async def claim(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert the changes not recorded yet, in one statement; the beneficiary ids of the rows this call inserted.
    A concurrent transaction inserting the same key makes this one wait for its outcome, then skip the row."""
    if not rows:
        return set()
    inserted = await session.scalars(
        insert(LevelChange)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=[LevelChange.beneficiary_id, LevelChange.effective_month])
        .returning(LevelChange.beneficiary_id)
    )
    return set(inserted)
