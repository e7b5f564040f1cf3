"""Use cases of the deaths feature. Never commits.

A death is recorded once per person, either on the person (``POST /persons/{id}/death``, for anyone in the
registry) or as a ``record_death`` decision on their beneficiary. Both paths end the same way, in one
transaction: the person carries the death date and document (a new version in its history),
``registry.person.died.v1`` is published, and a beneficiary of that person — whatever path was used — gets a
``record_death`` decision, the status ``deceased`` and ``registry.beneficiary.terminated.v1`` (reason
``death``): nothing is owed from the month after the month of death.

Locks are taken beneficiary first, then person, on both paths, so concurrent recordings queue instead of
deadlocking; the second one finds the death recorded and gets 409.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import Conflict, ValidationFailed

from ..beneficiaries import service as beneficiaries
from ..beneficiaries.schemas import DecisionIn
from ..beneficiaries.service import BeneficiaryView
from ..clock import today_in_vietnam
from ..events import EVENTS, PERSON_DIED, PersonDied
from ..models import BeneficiaryRow, Decision, Person
from ..persons import service as persons_service
from ..rules.death import death_date_problem, first_month_not_owed
from ..schedules import service as schedules_service
from . import repository
from .exceptions import DeathAlreadyRecorded
from .schemas import DeathIn, DeathOut

TERMINABLE = frozenset({"active", "suspended", "terminated"})
"""Beneficiary statuses a death may be recorded in (a terminated beneficiary may still be owed arrears)."""


def check(person: Person, death_date: date, field: str = "body.death_date") -> None:
    """409 when the person's death is already recorded; 422 for a date in the future or before the birth."""
    if person.death_date is not None:
        died = person.death_date.isoformat()
        raise DeathAlreadyRecorded(f"the death of this person is already recorded (died {died})", death_date=died)
    problem = death_date_problem(death_date, person.date_of_birth, today_in_vietnam())
    if problem:
        raise ValidationFailed([{"field": field, "reason": problem}])


async def _mark_dead(
    session: AsyncSession,
    principal: Principal,
    person: Person,
    death_date: date,
    document: str,
    beneficiary_id: uuid.UUID | None,
) -> None:
    await persons_service.record_death(session, principal, person, death_date, document)
    await EVENTS.publish(
        session,
        PERSON_DIED,
        str(person.id),
        PersonDied(
            person_id=person.id,
            death_date=death_date,
            effective_month=str(first_month_not_owed(death_date)),
            beneficiary_id=beneficiary_id,
            date_of_birth=person.date_of_birth,
            commune_code=person.commune_code,
            district_code=person.district_code,
            province_code=person.province_code,
        ),
    )


async def terminate_beneficiary(
    session: AsyncSession,
    principal: Principal,
    row: BeneficiaryRow,
    *,
    death_date: date,
    number: str,
    signed_on: date | None,
    authority: str,
    reason: str,
) -> tuple[Decision, Person]:
    """Record the death of a beneficiary's person: the decision, the status, the person, both events.

    The caller holds the lock on ``row``."""
    person = await repository.person_for_update(session, row.person_id)
    check(person, death_date)
    if row.status not in TERMINABLE:
        raise Conflict(f"cannot record death a beneficiary who is {row.status}", current_status=row.status)
    decision = await beneficiaries.terminate_by_death(
        session,
        principal,
        row,
        person,
        death_date=death_date,
        number=number,
        signed_on=signed_on,
        authority=authority,
        reason=reason,
    )
    await _mark_dead(session, principal, person, death_date, number, row.id)
    # The person's schedule, and those of a single parent (5.4) who was paid for them as a child.
    await schedules_service.refresh_person(session, person.id)
    return decision, person


async def record_decision(
    session: AsyncSession, principal: Principal, beneficiary_id: uuid.UUID, if_match: str | None, body: DecisionIn
) -> BeneficiaryView:
    """A ``record_death`` decision (``POST /beneficiaries/{id}/decisions``): the same path as ``record``."""
    assert body.kind == "record_death" and body.death_date is not None
    view = await beneficiaries.for_decision(session, principal, beneficiary_id, if_match)
    decision, person = await terminate_beneficiary(
        session,
        principal,
        view.row,
        death_date=body.death_date,
        number=body.number,
        signed_on=body.signed_on,
        authority=body.authority,
        reason=body.reason,
    )
    return BeneficiaryView(view.row, person, [*view.decisions, decision])


async def record(session: AsyncSession, principal: Principal, person_id: uuid.UUID, body: DeathIn) -> DeathOut:
    """Record a person's death; a beneficiary of the person is terminated from the month after."""
    await persons_service.get_visible(session, principal, person_id)  # 404 outside the caller's areas
    row = await repository.beneficiary_of_person_for_update(session, person_id)
    if row is not None:
        _, person = await terminate_beneficiary(
            session,
            principal,
            row,
            death_date=body.death_date,
            number=body.document,
            signed_on=None,
            authority="",
            reason="death",
        )
    else:
        person = await repository.person_for_update(session, person_id)
        check(person, body.death_date)
        await _mark_dead(session, principal, person, body.death_date, body.document, None)
        await schedules_service.refresh_person(session, person.id)  # a 5.4 parent paid for this child
    return DeathOut(
        person_id=person.id,
        death_date=body.death_date,
        document=body.document,
        recorded_by=principal.client_id,
        recorded_at=person.updated_at,
        effective_month=first_month_not_owed(body.death_date),
        beneficiary_id=row.id if row is not None else None,
        beneficiary_status="deceased" if row is not None else None,
    )
