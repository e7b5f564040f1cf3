"""HTTP surface of longevity gifts (the gateway serves it under ``/payments``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from common.auth import Principal, require
from common.db import SessionDep

from ..models import IDEMPOTENCY
from . import service
from .schemas import GiftIn, GiftOut, GiftPage, LongevityReport

router = APIRouter(tags=["longevity gifts"])


@router.post(
    "/longevity-gifts", summary="Record a longevity gift", status_code=status.HTTP_201_CREATED, response_model=GiftOut
)
async def create_gift(
    body: GiftIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, require("payments:write")],
) -> GiftOut | JSONResponse:
    """Record the gift to a person who reaches 90 or 100 in `year` (from the registry's yearly list,
    `GET /registry/reports/longevity`). Its cash and in-kind value are the `longevity` programme's parameters
    `gift_<age>_cash` and `gift_<age>_in_kind` in force in the gift's month. With `delivery` `post_office` the
    cash becomes a one-off payment, paid by the next `longevity` payroll (approved by a second client) through
    the post office; `in_kind` gifts are handed over by the commune and only recorded. One gift per person and
    year (`409` `…/gift-exists` with `existing`); commune outside the client's areas: `403`. Send an
    `Idempotency-Key`: a retry with the same key and body replays the first response."""

    async def work() -> tuple[GiftOut, dict[str, str]]:
        out = await service.create(session, principal, body)
        return out, {"Location": service.location(out.id)}

    return await IDEMPOTENCY.respond(session, principal, request, response, work)


@router.get("/longevity-gifts", summary="Longevity gifts of a year", response_model=GiftPage)
async def list_gifts(
    session: SessionDep,
    principal: Annotated[Principal, require("payments:read")],
    year: Annotated[int, Query(ge=2000, le=2100)],
    commune_code: Annotated[str | None, Query(max_length=10)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> GiftPage:
    """The gifts of `year` within the client's areas, by commune, with `limit` (≤ 100) and `cursor`."""
    items, next_cursor = await service.search(
        session, principal, year=year, commune_code=commune_code, cursor=cursor, limit=limit
    )
    return GiftPage(items=items, next_cursor=next_cursor)


@router.get("/longevity-gifts/{gift_id}", summary="A longevity gift", response_model=GiftOut)
async def read_gift(
    gift_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, require("payments:read")]
) -> GiftOut:
    """One gift and its payment's status (`404` when missing or outside the client's areas)."""
    return await service.get(session, principal, gift_id)


@router.get("/reports/longevity", summary="Longevity gifts of a year: given and paid", response_model=LongevityReport)
async def longevity_report(
    session: SessionDep,
    principal: Annotated[Principal, require("payments:read")],
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> LongevityReport:
    """Per age reached (90, 100), within the client's areas: gifts recorded, by post and in kind; the cash
    recorded, issued by approved payrolls and reported paid by the post office (including an unpaid gift paid
    later with a carried amount); the cash and goods' value handed over in kind. What was actually given, never
    the minima recomputed."""
    return await service.report(session, principal, year)
