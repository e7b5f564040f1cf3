"""HTTP surface of households' electricity use (the gateway serves it under ``/payments``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, status

from common.auth import Principal, require
from common.db import SessionDep

from . import service
from .schemas import ElectricityUseIn, HouseholdElectricityOut

router = APIRouter(prefix="/households", tags=["electricity support"])


@router.post(
    "/{household_id}/electricity-use",
    summary="Declare a household's electricity use",
    status_code=status.HTTP_201_CREATED,
    response_model=HouseholdElectricityOut,
)
async def declare_electricity_use(
    household_id: uuid.UUID,
    body: ElectricityUseIn,
    session: SessionDep,
    principal: Annotated[Principal, require("payments:write")],
) -> HouseholdElectricityOut:
    """Record, from `valid_from`, whether the household uses at most 50 kWh a month or is off the grid (`low_use`),
    with the document it rests on. A household that is not poor, has a member with an amount payable on the monthly
    allowance and a `low_use: true` declaration in force on the first day of a month is a social-policy household:
    the electricity payroll pays it that month (once, like a poor household). `low_use: false` from a day ends it.
    A past `valid_from` is settled by the next electricity payroll (arrears, or recovery). A second declaration for
    the same day replaces the first (so a retry changes nothing). `404` when payments knows no such household (no
    poverty status and no member on the allowance) or it is outside the client's areas. Answers with the household's
    declarations."""
    return await service.declare(session, principal, household_id, body)


@router.get(
    "/{household_id}/electricity-use",
    summary="A household's electricity-use declarations",
    response_model=HouseholdElectricityOut,
)
async def read_electricity_use(
    household_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, require("payments:read")]
) -> HouseholdElectricityOut:
    """The household's declarations, oldest first (`404` as for the POST)."""
    return await service.read(session, principal, household_id)
