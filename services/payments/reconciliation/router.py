"""HTTP surface of reconciliation (the gateway serves it under ``/payments``): exceptions for officers and the
deadline sweep."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from common.auth import Principal, require
from common.db import SessionDep

from . import service
from .schemas import ExceptionOut, ExceptionPage, Kind, ResolveIn, RunOut, Status

router = APIRouter(tags=["reconciliation"])


@router.get("/exceptions", summary="Reconciliation exceptions", response_model=ExceptionPage)
async def list_exceptions(
    session: SessionDep,
    principal: Annotated[Principal, require("payments:read")],
    status: Annotated[Status | None, Query()] = "open",
    kind: Annotated[Kind | None, Query()] = None,
    batch: Annotated[uuid.UUID | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ExceptionPage:
    """What reconciliation found, line by line, within the client's areas, oldest first (`status=open` by default):
    `amount_mismatch` (a paid amount other than the line's total), `reported_twice` (a second, different result for
    a line: the first stands, the second is in `detail`), `unknown_line` (a result for a line not in the batch),
    `missing_result` (no result by the batch's deadline). Nothing is corrected automatically: an officer checks
    with the pay point and resolves each with a note. Pages with `limit` (≤ 100) and `cursor`."""
    rows, next_cursor = await service.search(
        session, principal, status=status, kind=kind, batch_id=batch, cursor=cursor, limit=limit
    )
    return ExceptionPage(items=[ExceptionOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/exceptions/{exception_id}/resolve",
    summary="Resolve an exception",
    response_model=ExceptionOut,
    responses={409: {"description": "Problem `exception-resolved`"}},
)
async def resolve_exception(
    exception_id: uuid.UUID,
    body: ResolveIn,
    session: SessionDep,
    principal: Annotated[Principal, require("payments:write")],
) -> ExceptionOut:
    """Close an exception with a note saying what was found and done. The results and the ledger stay as reported:
    a correction is made by the pay point or by a later payroll, never by resolving."""
    return ExceptionOut.model_validate(await service.resolve(session, principal, exception_id, body.note))


@router.post("/reconciliation/run", summary="Flag missing results (deadline sweep)", response_model=RunOut)
async def run_reconciliation(
    session: SessionDep,
    principal: Annotated[Principal, require("payments:write")],
    on: Annotated[date | None, Query(description="The day of the run (default: today in Asia/Ho_Chi_Minh)")] = None,
) -> RunOut:
    """Raise a `missing_result` exception for every line without a result in a batch whose deadline is before `on`
    (the 20th of the payroll's month by default). Running it again raises only what is new; run it daily."""
    return await service.run(session, principal, on)
