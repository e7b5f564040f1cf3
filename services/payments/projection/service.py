"""Reading the projection, and rebuilding it from a replay of registry events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable

from sqlalchemy.ext.asyncio import AsyncSession

from common.areas import sees
from common.auth import Principal
from common.errors import NotFound
from common.events.envelope import Event
from common.events.inbox import Inbox

from ..rules.periods import month_text
from . import repository
from .schemas import (
    BeneficiaryCounts,
    BeneficiaryOut,
    EntitlementsChangedIn,
    PeriodOut,
    PersonMergedIn,
    PovertyStatusChangedIn,
)


async def beneficiary(session: AsyncSession, principal: Principal, beneficiary_id: uuid.UUID) -> BeneficiaryOut:
    row, periods = await repository.beneficiary(session, beneficiary_id)
    if row is None or not sees(principal, row):
        raise NotFound(f"payments has no beneficiary {beneficiary_id}")
    return BeneficiaryOut(
        id=row.id,
        person_id=row.person_id,
        version=row.version,
        status=row.status,
        full_name=row.full_name,
        national_id=row.national_id,
        date_of_birth=row.date_of_birth,
        sex=row.sex,
        death_date=row.death_date,
        commune_code=row.commune_code,
        district_code=row.district_code,
        province_code=row.province_code,
        household_id=row.household_id,
        periods=[
            PeriodOut(
                first=month_text(p.first_month),
                last=month_text(p.last_month) if p.last_month else None,
                amount=p.amount,
                category=p.category,
                coefficient=str(p.coefficient),
                standard_level=p.standard_level,
                categories=list(p.categories),
            )
            for p in periods
        ],
    )


async def counts(session: AsyncSession, principal: Principal) -> BeneficiaryCounts:
    by_status = await repository.counts(session, principal.limited_to)
    return BeneficiaryCounts(total=sum(by_status.values()), by_status=by_status)


async def apply_entitlements(session: AsyncSession, data: EntitlementsChangedIn) -> bool:
    """A newer schedule replaces the months from its ``computed_from``; an older or equal version is ignored (False)."""
    return await repository.apply_entitlements(session, data)


async def apply_poverty_status(session: AsyncSession, data: PovertyStatusChangedIn, sequence: int) -> None:
    await repository.apply_poverty_status(session, data, sequence)


async def apply_person_merged(session: AsyncSession, data: PersonMergedIn) -> None:
    """Beneficiaries of the record merged away are re-keyed to the survivor."""
    await repository.apply_person_merged(session, data)


async def rebuild(session: AsyncSession, inbox: Inbox, types: list[str], events: AsyncIterable[Event]) -> int:
    """Empty the projection and apply ``events`` (the hub's feed, oldest first) through the inbox, in the caller's
    transaction: the service never sees a half-built projection. Returns how many events were applied."""
    await repository.clear(session, types)
    applied = 0
    async for event in events:
        if event.type in types and await inbox.apply(session, event):
            applied += 1
    return applied
