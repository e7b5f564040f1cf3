"""HTTP surface of reports (the gateway serves them under ``/registry/reports``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from common.auth import Principal, require
from common.db import SessionDep

from ..rules.units import Level, Scheme
from . import service
from .schemas import BeneficiaryReport, LongevityList

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get(
    "/beneficiaries",
    response_model=BeneficiaryReport,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def beneficiaries_report(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require("registry:read")],
    month: Annotated[str, Query(description="The month reported, YYYY-MM", examples=["2026-01"])],
    by: Annotated[Level, Query(description="Group by province, district or commune")] = Level.COMMUNE,
    units: Annotated[
        Scheme,
        Query(
            description="`recorded`: the codes records were made with; `2025`: the units "
            "since the 2025 reorganisation (old communes counted under what they became)"
        ),
    ] = Scheme.RECORDED,
    format: Annotated[Literal["json", "csv"], Query(description="`csv`: Vietnamese headers, UTF-8 with BOM")] = "json",
) -> BeneficiaryReport | Response:
    """Beneficiaries paid, beneficiaries suspended and the amount payable in `month`, per unit, within the
    client's areas (by the codes as recorded).

    Records keep the administrative codes they were made with. With `units=2025` every record of a
    pre-2025 commune is counted under the commune it became (`GET /units/{code}/successors`), so a month
    before and a month after 2025-07-01 can be compared unit by unit; `by=district` does not exist in the
    2025 units (`422`). A commune split between several new ones cannot be attributed and stays under its
    recorded code with a `note`. `recorded_codes` lists the codes counted in each row. Amounts are those of
    the entitlement engine (`GET /beneficiaries/{id}/entitlements`), in VND.
    """
    report = await service.beneficiaries(
        session, request.app.state.sessionmaker, principal, service.parse_month(month), by, units
    )
    if format == "csv":
        filename = f"bao-cao-doi-tuong-{report.month}-{by.value}-{units.value}.csv"
        return Response(
            service.as_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return report


@router.get("/longevity", response_model=LongevityList, summary="Persons reaching 90 or 100 in a year")
async def longevity_list(
    session: SessionDep,
    principal: Annotated[Principal, require("registry:read")],
    year: Annotated[int, Query(ge=1900, le=2200, description="The year of the gifts", examples=[2026])],
    gift_date: Annotated[
        date | None,
        Query(
            description="The gift date (in `year`): persons who died on or before "
            "it are left out. Default: 31 December of a past year, else today"
        ),
    ] = None,
) -> LongevityList:
    """The yearly list for longevity gifts: every person of the registry (within the client's areas) born in
    `year` − 90 or `year` − 100, alive on the gift date, with the age reached. Payments records the gifts given
    (`POST /payments/longevity-gifts`)."""
    return await service.longevity(session, principal, year, gift_date)
