"""HTTP surface of payrolls (the gateway serves it under ``/payments``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from common.auth import Principal, require
from common.db import SessionDep

from ..models import Payroll
from . import service
from .schemas import LinePage, PayrollIn, PayrollOut, PayrollPage, State

router = APIRouter(prefix="/payrolls", tags=["payrolls"])

Reader = Annotated[Principal, require("payments:read")]
Writer = Annotated[Principal, require("payments:write")]
Approver = Annotated[Principal, require("payments:approve")]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag of the payroll as read: a payroll changed since (regenerated, reviewed) gets 412",
    ),
]
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Problem: the state does not allow it (`payroll-immutable`, `payroll-state`)"}
}

APPROVE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **CONFLICT,
    403: {"description": "Problem `maker-checker`: the approving client generated the payroll"},
}


def _send(payroll: Payroll, response: Response) -> PayrollOut:
    response.headers["ETag"] = service.etag(payroll)
    return service.out(payroll)


@router.post(
    "",
    summary="Generate a payroll",
    status_code=status.HTTP_201_CREATED,
    response_model=PayrollOut,
    responses={
        409: {
            "description": "Problem `payroll-exists` (with `existing`, the payroll's location), "
            "`payroll-pending` or `payroll-order`"
        }
    },
)
async def generate_payroll(body: PayrollIn, response: Response, session: SessionDep, principal: Writer) -> PayrollOut:
    """Generate the payroll of `programme` for `period` (`YYYY-MM`; `YYYY-Qn` for electricity) from payments' own
    copy of the registry (never a call to the registry).

    Each line pays one recipient: `regular` (the period's months), `arrears` (earlier months, from the programme's
    accounting month, where the recipient is now entitled to more than approved payrolls issued: late decisions,
    retroactive level increases, category upgrades), `recovery` (negative: months issued but no longer owed, e.g.
    after a death recorded late), `carried` and `total` (never negative: a recovery larger than the line is left
    in `to_recover`). The payroll carries control totals.

    At most one payroll per programme and period, even under concurrent requests: the others get `409`
    `payroll-exists` naming it in `existing`. Periods of a programme are approved in order, one at a time (`409`
    `payroll-pending` / `payroll-order`)."""
    payroll = await service.generate(session, principal, body.programme, body.period)
    response.headers["Location"] = service.location(payroll.id)
    return _send(payroll, response)


@router.get("", summary="Payrolls", response_model=PayrollPage, dependencies=[require("payments:read")])
async def list_payrolls(
    session: SessionDep,
    programme: Annotated[str | None, Query(max_length=50)] = None,
    state: Annotated[State | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> PayrollPage:
    """Payrolls, newest period first, with their control totals. Pages with `limit` (≤ 100) and `cursor`."""
    rows, next_cursor = await service.search(session, programme=programme, state=state, cursor=cursor, limit=limit)
    return PayrollPage(items=[service.out(r) for r in rows], next_cursor=next_cursor)


@router.get("/{payroll_id}", summary="A payroll", response_model=PayrollOut, dependencies=[require("payments:read")])
async def read_payroll(payroll_id: uuid.UUID, response: Response, session: SessionDep) -> PayrollOut:
    """A payroll with its state and control totals, and its version as `ETag` (send it as `If-Match` when acting
    on what you read)."""
    return _send(await service.get(session, payroll_id), response)


@router.get("/{payroll_id}/lines", summary="Lines of a payroll", response_model=LinePage)
async def read_lines(
    payroll_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    commune_code: Annotated[str | None, Query(max_length=10, description="Only this pay point")] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> LinePage:
    """Lines within the client's areas, by commune, each with the service months it settles (`months`: kind,
    entitled, allocated before, amount). Pages with `limit` (≤ 100) and `cursor`."""
    items, next_cursor = await service.lines(
        session, principal, payroll_id, commune_code=commune_code, cursor=cursor, limit=limit
    )
    return LinePage(items=items, next_cursor=next_cursor)


@router.post("/{payroll_id}/regenerate", summary="Regenerate a payroll", response_model=PayrollOut, responses=CONFLICT)
async def regenerate_payroll(
    payroll_id: uuid.UUID, response: Response, session: SessionDep, principal: Writer, if_match: IfMatch = None
) -> PayrollOut:
    """Recompute a payroll that is not approved yet from the latest projection (new decisions, deaths, levels). It
    goes back to `generated`, and the client regenerating it becomes its maker. An approved payroll is immutable
    (`409` `payroll-immutable`)."""
    return _send(await service.regenerate(session, principal, payroll_id, if_match), response)


@router.post("/{payroll_id}/review", summary="Mark a payroll reviewed", response_model=PayrollOut, responses=CONFLICT)
async def review_payroll(
    payroll_id: uuid.UUID, response: Response, session: SessionDep, principal: Writer, if_match: IfMatch = None
) -> PayrollOut:
    """`generated` → `reviewed`: the lines and control totals were checked."""
    return _send(await service.review(session, principal, payroll_id, if_match), response)


@router.post(
    "/{payroll_id}/approve",
    summary="Approve a payroll (checker)",
    response_model=PayrollOut,
    responses=APPROVE_RESPONSES,
)
async def approve_payroll(
    payroll_id: uuid.UUID, response: Response, session: SessionDep, principal: Approver, if_match: IfMatch = None
) -> PayrollOut:
    """`reviewed` → `approved`. **Maker-checker:** the client that generated (or last regenerated) the payroll gets
    `403`. From now on the payroll is immutable: every line's amounts are written to the ledger per service month
    and `payments.payroll.approved.v1` is published."""
    return _send(await service.approve(session, principal, payroll_id, if_match), response)


@router.post("/{payroll_id}/lock", summary="Lock an approved payroll", response_model=PayrollOut, responses=CONFLICT)
async def lock_payroll(
    payroll_id: uuid.UUID, response: Response, session: SessionDep, principal: Approver, if_match: IfMatch = None
) -> PayrollOut:
    """`approved` → `locked`: handed over for disbursement."""
    return _send(await service.lock(session, principal, payroll_id, if_match), response)
