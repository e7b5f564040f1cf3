"""HTTP routes of the foster carers' programme: read-only (its placements come from child protection's events)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from common.auth import Principal, require
from common.db import SessionDep
from common.types import Month

from . import service
from .schemas import FosterPlacementOut, FosterPlacementPage

router = APIRouter(prefix="/programmes/foster_care/placements", tags=["foster carers"])

Reader = Annotated[Principal, require("payments:read")]


@router.get("", summary="Foster placements paid by the foster_care programme", response_model=FosterPlacementPage)
async def list_placements(
    session: SessionDep,
    principal: Reader,
    commune_code: Annotated[str | None, Query(max_length=10)] = None,
    in_force: Annotated[Month | None, Query(description="Only those paid in this month (YYYY-MM)")] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> FosterPlacementPage:
    """Foster placements child protection recorded (from its events), within the client's areas, by commune, with
    the months the programme pays. There is no write route: placements are recorded and ended in child protection."""
    return await service.search(
        session, principal, commune_code=commune_code, in_force=in_force, cursor=cursor, limit=limit
    )


@router.get("/{placement_id}", summary="A foster placement", response_model=FosterPlacementOut)
async def read_placement(placement_id: uuid.UUID, session: SessionDep, principal: Reader) -> FosterPlacementOut:
    """One placement (`404` when missing or outside the client's areas)."""
    return service.out(await service.get(session, principal, placement_id))
