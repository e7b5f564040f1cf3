"""HTTP routes of study periods (the gateway serves them under ``/registry``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from common.auth import Principal, require
from common.db import SessionDep

from ..history.schemas import HistoryPage
from ..models import IDEMPOTENCY, StudyPeriod
from ..rules.months import Month
from ..rules.text import OneLine
from . import service
from .schemas import StudyPeriodIn, StudyPeriodList, StudyPeriodOut, StudyPeriodPatch

router = APIRouter(tags=["study periods"])

Reader = Annotated[Principal, require("registry:read")]
Writer = Annotated[Principal, require("registry:write")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="The ETag of the version read")]


def _out(p: StudyPeriod) -> StudyPeriodOut:
    return StudyPeriodOut(
        id=p.id,
        person_id=p.person_id,
        kind=p.kind,
        from_=Month.of(p.from_month),
        to=Month.of(p.to_month) if p.to_month else None,
        institution=p.institution,
        document=p.document,
        version=p.version,
        withdrawn=p.withdrawn_at is not None,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


@router.post("/persons/{person_id}/study-periods", status_code=status.HTTP_201_CREATED, response_model=StudyPeriodOut)
async def record_study(
    person_id: uuid.UUID,
    body: StudyPeriodIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Writer,
) -> StudyPeriodOut | JSONResponse:
    """Record that a person studies: `kind` (`school`, `vocational` or `university` — a first degree), from the
    month `from` through the month `to` (null while still studying), with the certifying `document`.

    What it changes: a 5.1 child studying in the month after the 16th-birthday month continues as 5.2 without a gap
    (study that starts later does not); 5.2 is paid while the study goes on, through the 22nd-birthday month; a
    single parent (5.4) is paid for a child aged 16-22 in the months the child studies. Recording a period late
    (its months already paid) changes the entitlement schedules of the person and of the single parents of their
    household: payments then pays the arrears.

    `422` when `from` is before the month of birth, after the current month or after the month of death, or
    `to` is before `from`; `409` (`study-overlap`, with `existing`) when it overlaps another period of the person;
    `404` for a person outside the client's areas. Returns the period with `ETag` and `Location`. Publishes
    `registry.person.study_changed.v1`. Send an `Idempotency-Key` to make retries safe.
    """

    async def work() -> tuple[StudyPeriodOut, dict[str, str]]:
        period = await service.record(session, principal, person_id, body)
        return _out(period), {"ETag": service.etag(period), "Location": service.location(period.id)}

    return await IDEMPOTENCY.respond(session, principal, request, response, work, by_alias=True)


@router.get("/persons/{person_id}/study-periods", response_model=StudyPeriodList)
async def list_study(person_id: uuid.UUID, session: SessionDep, principal: Reader) -> StudyPeriodList:
    """A person's study periods by first month, withdrawn ones included (`withdrawn: true`)."""
    return StudyPeriodList(items=[_out(p) for p in await service.list_of(session, principal, person_id)])


@router.get("/study-periods/{period_id}", response_model=StudyPeriodOut)
async def read_study(
    period_id: uuid.UUID, response: Response, session: SessionDep, principal: Reader
) -> StudyPeriodOut:
    """Read a study period (`ETag`: its version, for `If-Match`)."""
    period, _ = await service.get_visible(session, principal, period_id)
    response.headers["ETag"] = service.etag(period)
    return _out(period)


@router.patch("/study-periods/{period_id}", response_model=StudyPeriodOut)
async def correct_study(
    period_id: uuid.UUID,
    body: StudyPeriodPatch,
    response: Response,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> StudyPeriodOut:
    """Correct a study period (JSON merge patch; `reason` required, kept in the history): e.g. set `to` when the
    person stops studying, even months later — the schedules are recomputed and money paid for months after the
    study ended is to be recovered. Needs `If-Match` (missing `428`, stale `412`). The same checks as recording;
    `409` (`study-withdrawn`) on a withdrawn period. Publishes `registry.person.study_changed.v1` (nothing when
    nothing changed)."""
    period = await service.correct(session, principal, period_id, if_match, body)
    response.headers["ETag"] = service.etag(period)
    return _out(period)


@router.delete("/study-periods/{period_id}", response_model=StudyPeriodOut)
async def withdraw_study(
    period_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    principal: Writer,
    reason: Annotated[OneLine, Query(min_length=1, max_length=500, description="Why it is withdrawn")],
    if_match: IfMatch = None,
) -> StudyPeriodOut:
    """Withdraw a study period recorded in error: it stays (with its history) but counts no more. Needs
    `If-Match`. Publishes `registry.person.study_changed.v1` with `change` `withdrawn`."""
    period = await service.withdraw(session, principal, period_id, if_match, reason)
    response.headers["ETag"] = service.etag(period)
    return _out(period)


@router.get("/study-periods/{period_id}/history", response_model=HistoryPage)
async def study_history(
    period_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> HistoryPage:
    """Every change to a study period, newest first: who, when, why, the values before and after."""
    items, next_cursor = await service.history(session, principal, period_id, cursor, limit)
    return HistoryPage.model_validate({"items": items, "next_cursor": next_cursor})
