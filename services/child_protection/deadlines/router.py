"""Overdue and due-soon lists of an area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from common.db import SessionDep

from ..access import ReadAccess
from . import service
from .schemas import DeadlinePage

router = APIRouter(prefix="/deadlines", tags=["deadlines"])

Commune = Annotated[str | None, Query(max_length=10)]
Cursor = Annotated[str | None, Query(max_length=300)]
Limit = Annotated[int, Query(ge=1, le=100)]


@router.get("/overdue", summary="Overdue time limits in the client's areas", response_model=DeadlinePage)
async def overdue(
    session: SessionDep, reader: ReadAccess, commune_code: Commune = None, cursor: Cursor = None, limit: Limit = 50
) -> DeadlinePage:
    """Every time limit not met and past due (emergency action 12 h after a report; plan drafted within 5
    working days and approved within 2; separation decided within 12 h and ended by day 15; carer reports at 6
    months and yearly), most overdue first. Identifiers only. Needs `child_protection:case` or
    `child_protection:read` and `X-Purpose`."""
    return await service.overdue(session, reader, commune_code, cursor, limit)


@router.get("/due-soon", summary="Time limits falling due soon", response_model=DeadlinePage)
async def due_soon(
    request: Request,
    session: SessionDep,
    reader: ReadAccess,
    commune_code: Commune = None,
    hours: Annotated[int | None, Query(ge=1, le=24 * 31, description="Horizon (default 48)")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> DeadlinePage:
    """Open time limits due within `hours` (default: the service's setting, 48), soonest first."""
    horizon = hours or request.app.state.settings.due_soon_hours
    return await service.due_soon(session, reader, horizon, commune_code, cursor, limit)
