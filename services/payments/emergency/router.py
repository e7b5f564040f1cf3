"""HTTP surface of emergency relief (the gateway serves it under ``/payments``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from common.auth import Principal, require
from common.db import SessionDep

from ..models import IDEMPOTENCY
from . import service
from .schemas import EmergencyReport, ReliefIn, ReliefOut, ReliefPage

router = APIRouter(tags=["emergency relief"])


@router.post(
    "/emergency-reliefs",
    summary="Decide emergency relief",
    status_code=status.HTTP_201_CREATED,
    response_model=ReliefOut,
)
async def decide_relief(
    body: ReliefIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, require("payments:write")],
) -> ReliefOut | JSONResponse:
    """Record an officer's decision of emergency relief (cứu trợ đột xuất) for a disaster victim or household:
    cash of at least the emergency programme's minimum in force in the month of the disaster (`min_funeral`,
    `min_injury`, `min_house_destroyed`, `min_relocation`, `min_house_damaged`; `422` below), or for `food` the
    rice in kind (`persons` × `months` × `rice_kg_per_person_month`). It is paid only once another client approves
    it. Commune outside the client's areas: `403`. Send an `Idempotency-Key`: a retry replays the first response."""

    async def work() -> tuple[ReliefOut, dict[str, str]]:
        out = await service.decide(session, principal, body)
        return out, {"Location": service.location(out.id)}

    return await IDEMPOTENCY.respond(session, principal, request, response, work)


@router.post("/emergency-reliefs/{relief_id}/approve", summary="Approve emergency relief", response_model=ReliefOut)
async def approve_relief(
    relief_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, require("payments:approve")]
) -> ReliefOut:
    """Approve a decided relief (maker-checker: not the client that decided it, `403` `…/maker-checker`; again:
    `409` `…/relief-approved`). Cash relief becomes a one-off payment of the `emergency` programme, paid by its next
    payroll through the post office; food relief is recorded as rice given in kind."""
    return await service.approve(session, principal, relief_id)


@router.get("/emergency-reliefs", summary="Emergency relief decided in a year", response_model=ReliefPage)
async def list_reliefs(
    session: SessionDep,
    principal: Annotated[Principal, require("payments:read")],
    year: Annotated[int, Query(ge=2000, le=2100, description="Decided in this year")],
    commune_code: Annotated[str | None, Query(max_length=10)] = None,
    status: Annotated[Literal["decided", "approved"] | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ReliefPage:
    """Reliefs decided in `year` within the client's areas, by decision day and commune (cursor pages)."""
    items, next_cursor = await service.search(
        session, principal, year=year, commune_code=commune_code, status=status, cursor=cursor, limit=limit
    )
    return ReliefPage(items=items, next_cursor=next_cursor)


@router.get("/emergency-reliefs/{relief_id}", summary="An emergency relief", response_model=ReliefOut)
async def read_relief(
    relief_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, require("payments:read")]
) -> ReliefOut:
    """One relief and its payment's status (`404` when missing or outside the client's areas)."""
    return await service.get(session, principal, relief_id)


@router.get("/reports/emergency", summary="Emergency relief of a year", response_model=EmergencyReport)
async def emergency_report(
    session: SessionDep,
    principal: Annotated[Principal, require("payments:read")],
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> EmergencyReport:
    """Per kind of relief decided in `year`, within the client's areas: decided and approved counts, the cash
    approved, issued by approved payrolls and reported paid by the post office, the rice given in kind (kg)."""
    return await service.report(session, principal, year)
