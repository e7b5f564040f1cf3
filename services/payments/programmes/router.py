"""HTTP surface of programmes and their parameters (the gateway serves it under ``/payments``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from common.auth import Principal, require
from common.db import SessionDep

from . import service
from .schemas import AccountingIn, ParameterIn, ProgrammeOut

router = APIRouter(prefix="/programmes", tags=["programmes"])

Admin = Annotated[Principal, require("admin")]


@router.get(
    "", summary="Payment programmes", response_model=list[ProgrammeOut], dependencies=[require("payments:read")]
)
async def list_programmes(session: SessionDep) -> list[ProgrammeOut]:
    """Every programme (monthly allowance, electricity support, artisans, funeral support, longevity gifts,
    emergency relief, support requested by other services) with its effective-dated parameters."""
    return await service.list_all(session)


@router.get("/{code}", summary="A programme", response_model=ProgrammeOut, dependencies=[require("payments:read")])
async def read_programme(code: str, session: SessionDep) -> ProgrammeOut:
    """One programme with the history of its parameters (`404` for an unknown code)."""
    return await service.read(session, code)


@router.post(
    "/{code}/parameters", summary="Record a parameter value (admin)", status_code=201, response_model=ProgrammeOut
)
async def add_parameter(code: str, body: ParameterIn, session: SessionDep, principal: Admin) -> ProgrammeOut:
    """Record the value of parameter `name` from month `valid_from` with its legal basis, e.g. the electricity
    support per household per month (`amount_per_month`, whole VND) or the postal fee of the payment contract
    (`postal_fee_percent`). A past month is allowed: a payroll generated afterwards settles the difference for
    months from the programme's accounting month as arrears. `409` if a value from that month is recorded;
    `422` for a parameter the programme does not have."""
    return await service.add_parameter(session, code, body, principal.client_id)


@router.post("/{code}/accounting-from", summary="Set the first accounted month (admin)", response_model=ProgrammeOut)
async def set_accounting_from(code: str, body: AccountingIn, session: SessionDep, principal: Admin) -> ProgrammeOut:
    """Months before `accounting_from` were paid outside this system: payrolls never settle them as arrears or
    recoveries. Until it is set, a programme's accounting starts with its first payroll here."""
    return await service.set_accounting_from(session, code, body, principal.client_id)
