"""HTTP routes of donations to facilities (the gateway serves them under ``/registry``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from common.auth import Principal, require
from common.db import SessionDep

from ..models import IDEMPOTENCY
from . import service
from .schemas import DonationIn, DonationOut, DonationPage, FacilitiesReport

router = APIRouter(tags=["residential care"])


@router.post("/facilities/{facility_id}/donations", status_code=status.HTTP_201_CREATED, response_model=DonationOut)
async def record_donation(
    facility_id: uuid.UUID,
    body: DonationIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, require("registry:write")],
) -> DonationOut | JSONResponse:
    """Record what a donor gave the facility: cash or goods (`in_kind`) with their value in VND, the day received,
    and, when it was raised for one resident (a child's treatment), `for_person_id` (a resident that day, else
    `422`). `404` when the facility is outside the client's areas. Send an `Idempotency-Key`: a retry replays the
    first response."""

    async def work() -> tuple[DonationOut, dict[str, str]]:
        out = service.out(await service.record(session, principal, facility_id, body))
        return out, {"Location": service.location(facility_id, out.id)}

    return await IDEMPOTENCY.respond(session, principal, request, response, work)


@router.get("/facilities/{facility_id}/donations", response_model=DonationPage)
async def list_donations(
    facility_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, require("registry:read")],
    year: Annotated[int, Query(ge=2000, le=2100)],
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> DonationPage:
    """Donations the facility received in `year`, by day (cursor pages)."""
    items, next_cursor = await service.search(session, principal, facility_id, year, cursor, limit)
    return DonationPage(items=items, next_cursor=next_cursor)


@router.get("/reports/facilities", response_model=FacilitiesReport)
async def facilities_report(
    session: SessionDep,
    principal: Annotated[Principal, require("registry:read")],
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> FacilitiesReport:
    """Every facility within the client's areas: residents by group on 31 December of `year` (today for the
    current year) and the donations received in the year — cash, goods' value, donors, and what was raised for
    one resident."""
    return await service.report(session, principal, year)
