"""The change feed that field devices sync from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from common.db import SessionDep

from ..access import ReadAccess
from . import service
from .schemas import ChangePage

router = APIRouter(tags=["sync"])


@router.get("/changes", summary="Changes since a position (device sync)", response_model=ChangePage)
async def changes(
    session: SessionDep,
    reader: ReadAccess,
    after: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous call; omit for the beginning")
    ] = None,
    commune_code: Annotated[str | None, Query(max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ChangePage:
    """What changed in the client's areas after `after`, oldest first: which child, case, placement or
    attachment, and its new version. Identifiers only: fetch a record you need (with its `X-Purpose`). A device
    keeps `next_cursor` and asks again; `more: true` means ask again at once. Positions become visible in
    order, so a device never misses a change by reading past it. Needs `child_protection:case` or
    `child_protection:read` and `X-Purpose` (recorded in the audit)."""
    return await service.feed(session, reader, after, commune_code, limit)
