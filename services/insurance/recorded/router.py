"""HTTP surface of the groups recorded as data, HS and SV (the gateway serves it under ``/insurance``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from common.auth import Principal, require
from common.db import SessionDep

from . import service
from .schemas import RecordedIn, RecordedListOut, RecordedOut, WithdrawIn

router = APIRouter(prefix="/persons/{person_id}/recorded-groups", tags=["recorded groups"])


@router.post("", summary="Record a pupil (HS) or student (SV) status", status_code=201, response_model=RecordedOut)
async def record(
    person_id: uuid.UUID,
    body: RecordedIn,
    session: SessionDep,
    principal: Annotated[Principal, require("insurance:write")],
) -> RecordedOut:
    """No registry event says who is a pupil or a student: an officer records the status with its span and the
    school's confirmation. The person's card group is decided again at once (the worker follows within a second):
    HS/SV counts like any other ground, so a child under 6 stays TE and a BT beneficiary stays BT (the highest
    benefit wins). `404` when insurance has not received the person or the person is outside the client's areas;
    `422` for a group decided from events or `valid_to` before `valid_from`; `409` when that group from that day is
    already recorded (withdraw it first)."""
    return await service.record(session, principal, person_id, body)


@router.get("", summary="A person's recorded groups (with the withdrawn ones)", response_model=RecordedListOut)
async def list_recorded(
    person_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, require("insurance:read")]
) -> RecordedListOut:
    return await service.of_person(session, principal, person_id)


@router.post("/{record_id}/withdraw", summary="Withdraw a recorded status", response_model=RecordedOut)
async def withdraw(
    person_id: uuid.UUID,
    record_id: uuid.UUID,
    body: WithdrawIn,
    session: SessionDep,
    principal: Annotated[Principal, require("insurance:write")],
) -> RecordedOut:
    """The record stays, marked withdrawn with the reason and who withdrew it; the person is decided again without
    it. `409` when already withdrawn."""
    return await service.withdraw(session, principal, person_id, record_id, body.reason)
