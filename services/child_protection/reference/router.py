"""Reference data: the circumstance groups and the public holidays of the deadline calendar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from common.auth import Principal, require
from common.db import SessionDep

from ..dates import Day
from . import repository, service
from .schemas import GroupOut, HolidayIn, HolidayOut

router = APIRouter(tags=["reference data"])


@router.get("/groups", summary="Groups of children in special circumstances", response_model=list[GroupOut])
async def list_groups(session: SessionDep, _: Annotated[Principal, require()]) -> list[GroupOut]:
    """The fourteen groups of Law on Children 2016 Art 10.1 with their legal basis (any valid token)."""
    return [GroupOut.model_validate(g) for g in await repository.groups(session)]


@router.get("/holidays", summary="Public holidays of the deadline calendar", response_model=list[HolidayOut])
async def list_holidays(
    session: SessionDep, _: Annotated[Principal, require()], year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> list[HolidayOut]:
    """The days that are not working days besides Saturdays and Sundays (Tết and the other public holidays as
    dated each year). Working-day deadlines (plan drafted within 5, approved within 2) skip them."""
    return [HolidayOut.model_validate(h) for h in await repository.holidays(session, year)]


@router.put("/holidays/{day}", summary="Record a public holiday", status_code=status.HTTP_204_NO_CONTENT)
async def put_holiday(
    day: Day, body: HolidayIn, session: SessionDep, principal: Annotated[Principal, require("admin")]
) -> Response:
    """Record (or rename) a public holiday; needs `admin`. Deadlines computed from then on skip it; deadlines
    already set keep their date."""
    await repository.put_holiday(session, day, body.name, principal.client_id)
    return Response(status_code=204)


@router.delete("/holidays/{day}", summary="Remove a public holiday", status_code=status.HTTP_204_NO_CONTENT)
async def delete_holiday(day: Day, session: SessionDep, _: Annotated[Principal, require("admin")]) -> Response:
    """Remove a day recorded by mistake (`404` when it is not recorded); needs `admin`."""
    await service.remove_holiday(session, day)
    return Response(status_code=204)
