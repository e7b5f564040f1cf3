"""HTTP surface of a person's entitlement and cards (the gateway serves it under ``/insurance``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from common import clock
from common.auth import Principal, require
from common.db import SessionDep
from common.types import Day

from ..decisions import service as decisions
from ..projection import repository as projection
from . import daily, service
from .schemas import CardsOut

router = APIRouter(tags=["cards"])


@router.get(
    "/persons/{person_id}/cards", summary="A person's entitlement, cards and card history", response_model=CardsOut
)
async def person_cards(
    person_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, require("insurance:read")]
) -> CardsOut:
    """The group decided for each day from the registry's events (one card per day: the highest benefit, first in
    statutory order on a tie), the cards BHXH issued, and their append-only history (issued, renewed,
    changed_group, ended). `404` when insurance has not received the person or the person is outside the client's
    areas. No name, no national ID: those stay in the registry."""
    areas = await projection.person_areas(session, person_id)
    return await service.of_person(session, principal, person_id, await decisions.segments(session, person_id), areas)


@router.post("/jobs/daily", summary="Run the cards' daily job (admin)")
async def run_daily(
    session: SessionDep,
    _: Annotated[Principal, require("admin")],
    on: Annotated[Day | None, Query(description="The day (default: today, Viet Nam time)")] = None,
) -> dict[str, Any]:
    """What the daily job does at `INSURANCE_DAILY_AT`, for a scheduler outside the process: re-decide persons whose
    entitlement changes by date, publish `insurance.card.expiring.v1` for cards ending in 30 days (once per card),
    end the cards past their last day (`expired`). Safe to run twice on a day."""
    return await daily.run(session, on or clock.today())
