"""HTTP surface of one-off payments (the gateway serves it under ``/payments``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from common.auth import Principal, require
from common.db import SessionDep

from ..models import IDEMPOTENCY
from . import service
from .schemas import OneOffIn, OneOffOut

router = APIRouter(prefix="/one-off-payments", tags=["one-off payments"])


@router.post("", summary="Create a one-off payment", status_code=status.HTTP_201_CREATED, response_model=OneOffOut)
async def create_one_off(
    body: OneOffIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, require("payments:write")],
) -> OneOffOut | JSONResponse:
    """Record a one-off payment (funeral support, longevity gift, emergency relief, support requested by another
    service such as child protection) of `amount` whole VND, paid in the next payroll of its programme (from
    `period_from` when given). The commune must be within the client's areas (`403`).

    Send an `Idempotency-Key` header: a retry with the same key and body replays the first response (header
    `Idempotent-Replayed: true`) and creates nothing; the same key with another body gets `422`; while the first
    request is still running, `409`."""

    async def work() -> tuple[OneOffOut, dict[str, str]]:
        out = service.out(await service.create(session, principal, body))
        return out, {"Location": service.location(out.id)}

    return await IDEMPOTENCY.respond(session, principal, request, response, work)


@router.get("/{payment_id}", summary="A one-off payment", response_model=OneOffOut)
async def read_one_off(
    payment_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, require("payments:read")]
) -> OneOffOut:
    """A one-off payment and whether a payroll has issued it (`404` when missing or outside the client's areas)."""
    return service.out(await service.get(session, principal, payment_id))
