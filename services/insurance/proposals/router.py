"""HTTP surface of child protection's TE proposals (the gateway serves it under ``/insurance``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from common.auth import Principal, require
from common.db import SessionDep

from . import service
from .schemas import ProposalPage

router = APIRouter(tags=["TE proposals"])

Reader = Annotated[Principal, require("insurance:read")]


@router.get("/proposals", summary="Children proposed for a TE card by child protection", response_model=ProposalPage)
async def list_proposals(
    session: SessionDep,
    principal: Reader,
    cursor: Annotated[uuid.UUID | None, Query(description="`next_cursor` of the page before")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ProposalPage:
    """Children under 6 without a card that child protection proposed, within the token's areas, each with its
    `status`: `to_enrol` (entitled: the next period's list enrols the child), `on_list` (waiting for BHXH), `card`
    (done), `deciding` (a moment: facts just changed), `not_registered` (no birth registration from the registry
    yet: check the registry record) or `not_entitled`. Identifiers, birth date and areas only: nothing says why a
    child was proposed."""
    return await service.page(session, principal, cursor, limit)
