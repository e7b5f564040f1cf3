"""Use cases of the groups recorded as data (HS, SV): record, withdraw, list. Each change queues the person for a new
decision (``decisions``): the recorded span is a ground like the registry's, and the one-card rule chooses."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import Conflict, NotFound, ValidationFailed

from ..parameters import repository as parameters
from ..projection import repository as projection
from . import repository
from .schemas import RecordedIn, RecordedListOut, RecordedOut


def _out(r: Row[Any]) -> RecordedOut:
    return RecordedOut(
        id=r.id,
        person_id=r.person_id,
        group=r.group_code,
        valid_from=r.valid_from,
        valid_to=r.valid_to,
        document=r.document,
        recorded_by=r.recorded_by,
        recorded_at=r.recorded_at,
        withdrawn_by=r.withdrawn_by,
        withdrawn_at=r.withdrawn_at,
        withdraw_reason=r.withdraw_reason,
    )


async def _visible(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> None:
    areas = await projection.person_areas(session, person_id)
    if areas is None or not principal.may_see_area(*areas):
        raise NotFound(f"insurance knows no person {person_id}")


async def record(session: AsyncSession, principal: Principal, person_id: uuid.UUID, body: RecordedIn) -> RecordedOut:
    await _visible(session, principal, person_id)
    recordable = await parameters.recordable_groups(session)
    errors = []
    if body.group not in recordable:
        errors.append(
            {
                "field": "body.group",
                "reason": f"{body.group!r} is not a group recorded as data "
                f"(one of {', '.join(sorted(recordable))}); the others are "
                "decided from the registry's events",
            }
        )
    if body.valid_to is not None and body.valid_to < body.valid_from:
        errors.append({"field": "body.valid_to", "reason": "before valid_from"})
    if errors:
        raise ValidationFailed(errors)
    row = await repository.add(
        session, person_id, body.group, body.valid_from, body.valid_to, body.document.strip(), principal.client_id
    )
    if row is None:
        raise Conflict(
            f"{body.group} from {body.valid_from} is already recorded for person {person_id}: withdraw "
            "it first to record it again"
        )
    return _out(row)


async def withdraw(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, record_id: uuid.UUID, reason: str
) -> RecordedOut:
    await _visible(session, principal, person_id)
    row = await repository.withdraw(session, person_id, record_id, reason.strip(), principal.client_id)
    if row is None:
        if await repository.exists(session, person_id, record_id):
            raise Conflict(f"record {record_id} is already withdrawn")
        raise NotFound(f"no recorded group {record_id} for person {person_id}")
    return _out(row)


async def of_person(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> RecordedListOut:
    await _visible(session, principal, person_id)
    return RecordedListOut(person_id=person_id, items=[_out(r) for r in await repository.of_person(session, person_id)])


async def merge(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID) -> None:
    """A merge: the merged record's pupil/student records move to the survivor (one it already holds is withdrawn)."""
    await repository.move(session, merged, survivor, "insurance")
