"""HTTP surface of the insurance year-end report (the gateway serves it under ``/insurance/reports``; its annual
report asks it)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from common.auth import Principal, require
from common.db import SessionDep

from . import service
from .schemas import CardsReport

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get(
    "/cards", summary="Cards by group and unit for a year, with cost and state share", response_model=CardsReport
)
async def cards_report(
    session: SessionDep,
    principal: Annotated[Principal, require("insurance:read")],
    year: Annotated[int, Query(ge=2000, le=2100, description="The year reported", examples=[2026])],
    units: Annotated[
        Literal["recorded", "2025"],
        Query(
            description="`recorded`: by old district (a 2025 commune "
            "under the old district it came from); `2025`: by 2025 "
            "commune (an old commune under what it became)"
        ),
    ] = "recorded",
) -> CardsReport:
    """Health-insurance cards within the client's areas, by card group and by unit: the cards in force on 31
    December (today for the current year), the cards valid on some day of the year, and what the year's card-months
    cost, January to December (to the current month for the current year), computed as `GET /contributions` does:
    4.5% × base salary per card and month, the GB household scheme, the state's part and the households' part.
    A unit that cannot be attributed (a commune split in 2025, a 2025 commune across two old districts) stays under
    its recorded code with a `note`. Counts and amounts only; no person."""
    return await service.cards(session, principal, year, units)
