"""HTTP surface of artisan enrolments (the gateway serves it under ``/payments``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from common.auth import Principal, require
from common.db import SessionDep
from common.types import Month

from ..models import IDEMPOTENCY
from . import service
from .schemas import EndIn, EnrolmentIn, EnrolmentOut, EnrolmentPage

router = APIRouter(prefix="/programmes/artisans/enrolments", tags=["artisans"])


@router.post(
    "",
    summary="Enrol an artisan",
    status_code=status.HTTP_201_CREATED,
    response_model=EnrolmentOut,
    responses={409: {"description": "Problem `enrolment-overlaps`: the person has an enrolment in force"}},
)
async def enrol_artisan(
    body: EnrolmentIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, require("payments:write")],
) -> EnrolmentOut | JSONResponse:
    """Enrol a people's or meritorious artisan (Decree 109/2015/NĐ-CP) for the monthly artisans' allowance:
    `amount_per_month` is one of the decree's amounts (1000000, 850000, 700000 VND, by group and income band; `422`
    otherwise), paid by the monthly `artisans` payroll for every month from `from_month` through `to_month` (open
    while null). A past `from_month` is paid as arrears by the next payroll (months from the programme's accounting
    month on). An artisan has one enrolment in force at a time (`409` `…/enrolment-overlaps`). The commune must be
    within the client's areas (`403`).

    Send an `Idempotency-Key` header: a retry with the same key and body replays the first response (header
    `Idempotent-Replayed: true`) and enrols nothing; the same key with another body gets `422`; while the first
    request is still running, `409`."""

    async def work() -> tuple[EnrolmentOut, dict[str, str]]:
        row = await service.enrol(session, principal, body)
        return service.out(row), {"Location": service.location(row.id), "ETag": service.etag(row)}

    return await IDEMPOTENCY.respond(session, principal, request, response, work)


@router.get("", summary="Artisan enrolments", response_model=EnrolmentPage)
async def list_enrolments(
    session: SessionDep,
    principal: Annotated[Principal, require("payments:read")],
    commune_code: Annotated[str | None, Query(max_length=10)] = None,
    person_id: Annotated[uuid.UUID | None, Query()] = None,
    in_force: Annotated[Month | None, Query(description="Only those paid in this month (YYYY-MM)")] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> EnrolmentPage:
    """Enrolments within the client's areas, by commune; `in_force=YYYY-MM` keeps those paid in that month. Pages
    with `limit` (≤ 100) and `cursor`."""
    rows, next_cursor = await service.search(
        session,
        principal,
        commune_code=commune_code,
        person_id=person_id,
        in_force=in_force,
        cursor=cursor,
        limit=limit,
    )
    return EnrolmentPage(items=[service.out(r) for r in rows], next_cursor=next_cursor)


@router.get("/{enrolment_id}", summary="An artisan enrolment", response_model=EnrolmentOut)
async def read_enrolment(
    enrolment_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, require("payments:read")],
) -> EnrolmentOut:
    """One enrolment, with its `ETag` (`404` when missing or outside the client's areas)."""
    row = await service.get(session, principal, enrolment_id)
    response.headers["ETag"] = service.etag(row)
    return service.out(row)


@router.post(
    "/{enrolment_id}/end",
    summary="End an artisan enrolment",
    response_model=EnrolmentOut,
    responses={
        409: {"description": "Problem `enrolment-ended`: it already ends in or before that month"},
        412: {"description": "`If-Match` is not the current `ETag`"},
    },
)
async def end_enrolment(
    enrolment_id: uuid.UUID,
    body: EndIn,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, require("payments:write")],
    if_match: Annotated[str | None, Header()] = None,
) -> EnrolmentOut:
    """Set the last month paid (`to_month`, with the decision ending the allowance): an artisan who died, moved or
    is no longer eligible. A past month is allowed: the next payroll recovers what was paid for later months (netted
    against what the line pays; the rest is `to_recover`). An end only brings `to_month` forward (`409`
    `…/enrolment-ended` otherwise: enrol again to pay later months). Send `If-Match` to act only on what you read."""
    row = await service.end(session, principal, enrolment_id, body, if_match)
    response.headers["ETag"] = service.etag(row)
    return service.out(row)
