"""HTTP route of the deaths feature (the gateway serves it under ``/registry``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from common.auth import Principal, require
from common.db import SessionDep

from ..models import IDEMPOTENCY
from ..persons import service as persons_service
from . import service
from .schemas import DeathIn, DeathOut

router = APIRouter(prefix="/persons", tags=["persons"])


@router.post("/{person_id:uuid}/death", status_code=status.HTTP_201_CREATED, response_model=DeathOut)
async def record_death(
    person_id: uuid.UUID,
    body: DeathIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, require("registry:write")],
) -> DeathOut | JSONResponse:
    """Record the death of a person, whether or not they are a beneficiary.

    `death_date` must not be in the future (Viet Nam time) nor before the date of birth (`422` naming
    `body.death_date`); `document` is the document reporting the death. A death already recorded — here or by a
    `record_death` decision — gets `409` of type `…/death-already-recorded` with the recorded `death_date`.
    `404` when the person does not exist or lies outside the client's areas.

    In one transaction: the person's record gets `death_date` and `death_document` (a new version, in its
    history), and `registry.person.died.v1` is published. If the person is a beneficiary, a `record_death`
    decision is appended to it, its status becomes `deceased` and `registry.beneficiary.terminated.v1` (reason
    `death`) is published: nothing is owed from `effective_month`, the month after the month of death, and
    money paid for later months is to be recovered. Send an `Idempotency-Key` header to make retries safe.
    """

    async def work() -> tuple[DeathOut, dict[str, str]]:
        out = await service.record(session, principal, person_id, body)
        return out, {"Location": persons_service.location(person_id)}

    return await IDEMPOTENCY.respond(session, principal, request, response, work)
