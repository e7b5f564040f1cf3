"""Registry events as the hub delivers them to insurance, built from the registry's own catalogue models (so these
tests also hold insurance to the registry's real payloads)."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel

from common.clock import VIETNAM_TZ
from common.events.envelope import Event, new_event
from services.insurance.decisions import service as decisions
from services.insurance.events import EVENTS
from services.registry import events as registry

REGISTRY = "/ansinh/registry"
AREAS = {"commune_code": "84101", "district_code": "842", "province_code": "84"}
_sequence = itertools.count(1)


def event(type_: str, subject: uuid.UUID, data: BaseModel, at: date | None = None) -> Event:
    envelope = new_event(REGISTRY, type_, str(subject), data)
    if at is not None:
        envelope["time"] = datetime.combine(at, time(10), tzinfo=VIETNAM_TZ).isoformat()
    return Event.model_validate({**envelope, "sequence": next(_sequence)})


def registered(person: uuid.UUID, born: date, on: date, sex: str = "female", **areas: str) -> Event:
    return event(
        registry.PERSON_REGISTERED,
        person,
        registry.PersonRegistered(person_id=person, date_of_birth=born, sex=sex, **{**AREAS, **areas}),
        at=on,
    )


def died(person: uuid.UUID, born: date, death: date, beneficiary: uuid.UUID | None = None) -> Event:
    month = date(death.year + (death.month == 12), death.month % 12 + 1, 1)
    return event(
        registry.PERSON_DIED,
        person,
        registry.PersonDied(
            person_id=person,
            death_date=death,
            effective_month=f"{month:%Y-%m}",
            beneficiary_id=beneficiary,
            date_of_birth=born,
            **AREAS,
        ),
    )


def approved(
    beneficiary: uuid.UUID,
    person: uuid.UUID,
    month: str,
    born: date = date(1950, 1, 1),
    categories: list[str] | None = None,
) -> Event:
    return event(
        registry.BENEFICIARY_APPROVED,
        beneficiary,
        registry.BeneficiaryApproved(
            beneficiary_id=beneficiary,
            person_id=person,
            categories=categories or ["5.5a"],
            effective_month=month,
            decision_number="QĐ 1/UBND",
            date_of_birth=born,
            **AREAS,
        ),
    )


def terminated(
    beneficiary: uuid.UUID, person: uuid.UUID, month: str, reason: str = "no longer eligible", death: date | None = None
) -> Event:
    return event(
        registry.BENEFICIARY_TERMINATED,
        beneficiary,
        registry.BeneficiaryTerminated(
            beneficiary_id=beneficiary,
            person_id=person,
            effective_month=month,
            reason=reason,
            death_date=death,
            **AREAS,
        ),
    )


def suspended(beneficiary: uuid.UUID, person: uuid.UUID, month: str) -> Event:
    return event(
        registry.BENEFICIARY_SUSPENDED,
        beneficiary,
        registry.BeneficiarySuspended(
            beneficiary_id=beneficiary, person_id=person, effective_month=month, reason="3 months unpaid", **AREAS
        ),
    )


def poverty(household: uuid.UUID, status: str, valid_from: date) -> Event:
    return event(
        registry.HOUSEHOLD_POVERTY_STATUS_CHANGED,
        household,
        registry.HouseholdPovertyStatusChanged(
            household_id=household, status=status, valid_from=valid_from, document="QĐ 12/UBND", **AREAS
        ),
    )


def joined(household: uuid.UUID, person: uuid.UUID, on: date) -> Event:
    return event(
        registry.HOUSEHOLD_MEMBER_JOINED,
        household,
        registry.HouseholdMemberJoined(household_id=household, person_id=person, joined_on=on, **AREAS),
    )


def left(household: uuid.UUID, person: uuid.UUID, on: date) -> Event:
    return event(
        registry.HOUSEHOLD_MEMBER_LEFT,
        household,
        registry.HouseholdMemberLeft(household_id=household, person_id=person, left_on=on, **AREAS),
    )


async def feed(app: Any, *events: Event, decide: bool = True) -> list[bool]:
    """Deliver events to the insurance inbox, then run the decision worker's step (as the worker does)."""
    async with app.state.sessionmaker() as session:
        applied = [await EVENTS.inbox.apply(session, e) for e in events]
        if decide:
            await decisions.decide_all_pending(session)
        await session.commit()
    return applied


async def cards(http: Any, minter: Any, person: uuid.UUID, **kw: Any) -> dict[str, Any]:
    r = await http.get(f"/persons/{person}/cards", headers=minter.headers("insurance:read", **kw))
    assert r.status_code == 200, r.text
    return r.json()
