"""Use cases of households' electricity-use declarations (the social-policy ground of electricity support). Never
commits.

A household is a social-policy household in a month when, on the first day of the month, it is not poor, a
low-use declaration is in force and a member has an amount payable on the monthly allowance (rules.md §3). Payments
knows the members and the poverty status from the registry's events; the electricity use only from officers, here.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import NotFound

from . import repository
from .schemas import ElectricityUseIn, ElectricityUseOut, HouseholdElectricityOut


async def _area(session: AsyncSession, principal: Principal, household_id: uuid.UUID) -> tuple[str, str, str]:
    area = await repository.area(session, household_id)
    if area is None:
        declared = await repository.declarations(session, household_id)
        if declared:
            area = (declared[-1].commune_code, declared[-1].district_code, declared[-1].province_code)
    if area is None or not principal.may_see_area(*area):
        raise NotFound(f"payments knows no household {household_id} (no poverty status, no member on the allowance)")
    return area


async def declare(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, body: ElectricityUseIn
) -> HouseholdElectricityOut:
    """Record (or, for the same day, replace) a declaration; the household's next electricity payroll compares its
    past months again, so a past ``valid_from`` is paid as arrears or recovered."""
    area = await _area(session, principal, household_id)
    await repository.declare(
        session, household_id, body.valid_from, body.low_use, body.document, area, principal.client_id
    )
    return await read(session, principal, household_id)


async def read(session: AsyncSession, principal: Principal, household_id: uuid.UUID) -> HouseholdElectricityOut:
    await _area(session, principal, household_id)
    rows = await repository.declarations(session, household_id)
    return HouseholdElectricityOut(
        household_id=household_id, declarations=[ElectricityUseOut.model_validate(r) for r in rows]
    )
