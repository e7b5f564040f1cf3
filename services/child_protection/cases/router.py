"""HTTP routes of cases (the gateway serves them under ``/child-protection``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from common.concurrency import etag
from common.db import SessionDep

from .. import idempotent
from ..access import ReadAccess, WriteAccess
from ..cipher import CipherDep
from ..rules.cases import Status
from . import service
from .schemas import CaseIn, CaseOut, CasePage, CasePatch, HistoryOut, ReferralIn, SeparationIn, StepIn

router = APIRouter(prefix="/cases", tags=["cases"])
IfMatch = Annotated[str | None, Header(alias="If-Match", description="The ETag of the version read")]


@router.post(
    "",
    summary="Receive a report and open a case (Form 01)",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseOut,
)
async def open_case(
    body: CaseIn, request: Request, response: Response, session: SessionDep, reader: WriteAccess, cipher: CipherDep
) -> CaseOut | JSONResponse:
    """Record a report (hotline 111, police, school, community, labour office) about a child already recorded
    (`child_id`) or a new one (`child`: a name and a commune are enough; link it to the registry later). The
    case takes the child's commune. Emergency action is due 12 hours after `reported_at`. `report`,
    `perpetrator` and `reporter` are encrypted at rest and never searched. Publishes
    `child_protection.case.opened.v1` (identifiers only). Returns `ETag` and `Location`; `Idempotency-Key`
    makes retries safe. Needs `child_protection:case` and `X-Purpose`."""

    async def work() -> tuple[CaseOut, uuid.UUID, dict[str, str]]:
        case = await service.open_case(session, reader, cipher, body)
        out = await service.out(session, cipher, case)
        return out, case.id, {"ETag": etag(case.version), "Location": service.location(case.id)}

    return await idempotent.respond(
        session, reader, request, response, lambda i: service.read(session, reader, cipher, i), work
    )


@router.get("", summary="Cases in the client's areas", response_model=CasePage)
async def list_cases(
    session: SessionDep,
    reader: ReadAccess,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    commune_code: Annotated[str | None, Query(max_length=10)] = None,
    child_id: uuid.UUID | None = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> CasePage:
    """Summaries (number, status, risk, commune, version; no names, no narratives), newest first. Needs
    `child_protection:case` or `child_protection:read` and `X-Purpose` (audited)."""
    return await service.list_cases(
        session,
        reader,
        status=status_.value if status_ else None,
        commune_code=commune_code,
        child_id=child_id,
        open_only=open_only,
        cursor=cursor,
        limit=limit,
    )


@router.get("/{case_id}", summary="A case", response_model=CaseOut)
async def read_case(
    case_id: uuid.UUID, response: Response, session: SessionDep, reader: ReadAccess, cipher: CipherDep
) -> CaseOut:
    """The case with its narratives, plans, support items (and their payment outcome), separations and
    deadlines, and `next_actions`. `404` when missing or outside the client's areas. Every read is audited
    (who, when, which case, `X-Purpose`). `ETag` carries the version for `If-Match`."""
    out = await service.read(session, reader, cipher, case_id)
    response.headers["ETag"] = etag(out.version)
    return out


@router.patch("/{case_id}", summary="Correct a case's narratives", response_model=CaseOut)
async def update_case(
    case_id: uuid.UUID,
    body: CasePatch,
    response: Response,
    session: SessionDep,
    reader: WriteAccess,
    cipher: CipherDep,
    if_match: IfMatch = None,
) -> CaseOut:
    """JSON merge patch of `report`, `perpetrator`, `reporter`, `risk_level`. Needs `If-Match`: missing `428`,
    stale `412` (another officer changed the case: re-read and retry), so no update is ever lost."""
    case = await service.update(session, reader, cipher, case_id, if_match, body)
    response.headers["ETag"] = etag(case.version)
    return await service.out(session, cipher, case)


@router.post("/{case_id}/steps", summary="Take the next step of the case", response_model=CaseOut)
async def take_step(
    case_id: uuid.UUID,
    body: StepIn,
    response: Response,
    session: SessionDep,
    reader: WriteAccess,
    cipher: CipherDep,
    if_match: IfMatch = None,
) -> CaseOut:
    """Move the case through Decree 56/2017: `initial_assessment` (Form 02, with `risk_level`; meets the 12-hour
    limit; `separation_needed` starts the 12-hour limit of the separation decision) → `detailed_assessment`
    (Form 03; the plan is due within 5 working days) → `draft_plan` (Forms 04/05 with `plan`, its services and
    money `support`; approval due within 2 working days) → `approve_plan` (by a client other than the drafter:
    `403 maker-checker`; the plan's support items are sent to payments) or `reject_plan` → `start_support` →
    `review` (Form 06) → `close` or `new_plan`; a closed case may `reopen`, keeping its history. A step not
    allowed from the current status gets `409 invalid-transition` with the `allowed` ones. Needs `If-Match`."""
    case = await service.take_step(session, reader, cipher, case_id, if_match, body)
    response.headers["ETag"] = etag(case.version)
    return await service.out(session, cipher, case)


@router.post("/{case_id}/separations", summary="Record a temporary separation (Form 07)", response_model=CaseOut)
async def add_separation(
    case_id: uuid.UUID,
    body: SeparationIn,
    response: Response,
    session: SessionDep,
    reader: WriteAccess,
    cipher: CipherDep,
    if_match: IfMatch = None,
) -> CaseOut:
    """The commune chairman's decision to separate the child from the carer, for at most 15 days (`422`
    otherwise). Meets the 12-hour limit of the decision; the separation must end by `ends_on`. Needs `If-Match`."""
    case = await service.add_separation(session, reader, cipher, case_id, if_match, body)
    response.headers["ETag"] = etag(case.version)
    return await service.out(session, cipher, case)


@router.post("/{case_id}/separations/end", summary="End the temporary separation", response_model=CaseOut)
async def end_separation(
    case_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    reader: WriteAccess,
    cipher: CipherDep,
    if_match: IfMatch = None,
) -> CaseOut:
    """The child returned to the carer or went into alternative care. Needs `If-Match`."""
    case = await service.end_separation(session, reader, case_id, if_match)
    response.headers["ETag"] = etag(case.version)
    return await service.out(session, cipher, case)


@router.post(
    "/{case_id}/referrals/allowance",
    summary="Refer the child for the monthly allowance",
    status_code=status.HTTP_202_ACCEPTED,
)
async def refer_allowance(
    case_id: uuid.UUID, body: ReferralIn, session: SessionDep, reader: WriteAccess
) -> dict[str, str]:
    """Publish `child_protection.child.allowance_referred.v1`: the registry drafts an application for the
    monthly social allowance (`5.1` orphan / no one to rely on, `5.3` child with HIV in a poor household) with
    the case number as its source. The child must be identified (`person_id`; `409` otherwise)."""
    case = await service.refer_allowance(session, reader, case_id, body)
    return {"case_number": service.number(case), "category": body.category}


@router.get("/{case_id}/history", summary="The steps a case took", response_model=HistoryOut)
async def case_history(case_id: uuid.UUID, session: SessionDep, reader: ReadAccess, cipher: CipherDep) -> HistoryOut:
    """Every step, oldest first: action, form, statuses, who, when, note. Audited like a read of the case."""
    return await service.history(session, reader, cipher, case_id)
