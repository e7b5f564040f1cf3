"""All SQL of entitlement schedules. Nothing here commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import SCHEMA, BeneficiaryRow, EntitlementSchedule, HouseholdMember, Person


async def lock_and_load(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[tuple[BeneficiaryRow, Person]]:
    """The beneficiaries with their persons, their rows locked (in id order, so two refreshes cannot
    deadlock): versions of a schedule are computed one after the other, each from committed data."""
    rows = await session.execute(
        select(BeneficiaryRow, Person)
        .join(Person, Person.id == BeneficiaryRow.person_id)
        .where(BeneficiaryRow.id.in_(ids))
        .order_by(BeneficiaryRow.id)
        .with_for_update(of=BeneficiaryRow)
    )
    return [(b, p) for b, p in rows.tuples()]


async def of_persons(session: AsyncSession, person_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    return list(await session.scalars(select(BeneficiaryRow.id).where(BeneficiaryRow.person_id.in_(person_ids))))


async def ids_after(session: AsyncSession, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
    query = select(BeneficiaryRow.id).order_by(BeneficiaryRow.id).limit(limit)
    if after is not None:
        query = query.where(BeneficiaryRow.id > after)
    return list(await session.scalars(query))


async def households_of(session: AsyncSession, person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """The household each person is a current member of."""
    rows = await session.execute(
        select(HouseholdMember.person_id, HouseholdMember.household_id).where(
            HouseholdMember.person_id.in_(person_ids), HouseholdMember.left_on.is_(None)
        )
    )
    return dict(rows.tuples().all())


async def stored(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, str]]:
    """(version, fingerprint) of the schedules last published."""
    rows = await session.execute(
        select(EntitlementSchedule.beneficiary_id, EntitlementSchedule.version, EntitlementSchedule.fingerprint).where(
            EntitlementSchedule.beneficiary_id.in_(ids)
        )
    )
    return {b: (v, f) for b, v, f in rows.tuples()}


async def save(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Record the schedules just published (one statement)."""
    if not rows:
        return
    await session.execute(
        text(f"""
        INSERT INTO {SCHEMA}.entitlement_schedules (beneficiary_id, version, fingerprint)
        SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:versions AS int[]), CAST(:fingerprints AS text[]))
        ON CONFLICT (beneficiary_id) DO UPDATE SET version = EXCLUDED.version, fingerprint = EXCLUDED.fingerprint,
            published_at = now()
    """),
        {
            "ids": [r["beneficiary_id"] for r in rows],
            "versions": [r["version"] for r in rows],
            "fingerprints": [r["fingerprint"] for r in rows],
        },
    )
