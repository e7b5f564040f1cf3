"""HTTP surface of the ledger (the gateway serves it under ``/payments``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from common.auth import Principal, require
from common.db import SessionDep
from common.errors import ValidationFailed

from . import service
from .schemas import By, LedgerTotals

router = APIRouter(prefix="/ledger", tags=["ledger"])


@router.get(
    "/totals",
    summary="Ledger totals for a year",
    response_model=LedgerTotals,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def ledger_totals(
    session: SessionDep,
    principal: Annotated[Principal, require("payments:read")],
    year: Annotated[int, Query(ge=2000, le=2100, description="Payroll periods starting in this year")],
    since: Annotated[
        int | None,
        Query(
            ge=2000,
            le=2100,
            description="Cumulative: payroll periods from January of "
            "this year to December of `year` (`2000`: since records began)",
        ),
    ] = None,
    by: Annotated[By, Query(description="Group by programme, payroll period, district or commune")] = "programme",
    programme: Annotated[str | None, Query(max_length=50)] = None,
    format: Annotated[Literal["json", "csv"], Query(description="`csv`: Vietnamese headers, UTF-8 with BOM")] = "json",
) -> LedgerTotals | Response:
    """Cumulative amounts of the ledger for the payrolls of `year`, within the client's areas: issued by approved
    payrolls (`regular`, `arrears`, `recovery`, `to_recover`, `to_recover_offset` — negative, what later lines
    withheld against open `to_recover` balances; `issued` is their sum and equals the sum of the payroll lines'
    totals less the carried amounts they took in) and, once reported by the payment organisation, `paid`, `carried`,
    `returned` and `recovered`. `held`: unpaid amounts of suspended beneficiaries, which no payroll sends to the pay
    point; paid with the first line after reinstatement (back to `carried`, then taken in) or returned to the budget
    on termination (`returned`). Amounts in VND."""
    if since is not None and since > year:
        raise ValidationFailed([{"field": "query.since", "reason": f"after year {year}"}])
    report = await service.totals(session, principal, year=year, by=by, programme=programme, since=since)
    if format == "csv":
        name = f"so-cai-{year}-{by}.csv" if since is None else f"so-cai-{since}-{year}-{by}.csv"
        return Response(
            service.as_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return report
