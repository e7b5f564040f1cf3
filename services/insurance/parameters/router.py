"""HTTP surface of card groups and parameters (the gateway serves it under ``/insurance``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from common.auth import Principal, require
from common.db import SessionDep

from ..models import IDEMPOTENCY
from . import service
from .schemas import DecisionIn, ParametersOut, ProposalIn, ValueOut

router = APIRouter(prefix="/parameters", tags=["parameters"])

Admin = Annotated[Principal, require("admin")]


@router.get(
    "",
    summary="Card groups, base salary, contribution rate and shares",
    response_model=ParametersOut,
    dependencies=[require("insurance:read")],
)
async def read_parameters(session: SessionDep) -> ParametersOut:
    """The card groups (object code, benefit level, statutory order, state share in force) and every effective-dated
    value with its legal basis: `base_salary` (VND), `contribution_rate` (0.045 = 4.5%), `state_share.<group>` and
    the household scheme's `household_factor.<n>` (1st member 1, 2nd 0.7 …). Values waiting for approval are listed
    apart and apply to nothing yet."""
    return await service.read(session)


@router.post("/proposals", summary="Propose a parameter value (admin)", status_code=201, response_model=ValueOut)
async def propose(
    body: ProposalIn, request: Request, response: Response, session: SessionDep, principal: Admin
) -> ValueOut | JSONResponse:
    """Propose the value of `name` from `valid_from` with its legal basis (a past date is allowed: contributions
    are then recomputed from it). It applies only once another admin approves it. `422` for an unknown name or an
    impossible value. `Idempotency-Key` makes a retry safe: the same key and body answer the first proposal
    (`Idempotent-Replayed: true`) instead of making a second one."""

    async def work() -> tuple[ValueOut, dict[str, str]]:
        return await service.propose(session, body, principal.client_id), {}

    return await IDEMPOTENCY.respond(session, principal, request, response, work)


@router.post(
    "/proposals/{proposal_id}/approve", summary="Approve a proposed value (another admin)", response_model=ValueOut
)
async def approve(proposal_id: uuid.UUID, body: DecisionIn, session: SessionDep, principal: Admin) -> ValueOut:
    """Maker-checker: `403` `maker-checker` when the proposer approves their own value; `409` when it was already
    decided or a value of that name from that date is already approved; `404` for an unknown proposal."""
    return await service.decide(session, proposal_id, True, principal.client_id, body.reason)


@router.post(
    "/proposals/{proposal_id}/reject", summary="Reject a proposed value (another admin)", response_model=ValueOut
)
async def reject(proposal_id: uuid.UUID, body: DecisionIn, session: SessionDep, principal: Admin) -> ValueOut:
    """The value is kept as rejected (with the `reason`) and applies to nothing."""
    return await service.decide(session, proposal_id, False, principal.client_id, body.reason)
