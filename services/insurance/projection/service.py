"""Applying registry events to insurance's copy of the facts. Every handler queues the persons it touches for a new
decision (``decisions.service.decide_pending``), in the event's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.events.envelope import Event

from . import repository
from .schemas import (
    Areas,
    BeneficiaryStepIn,
    MemberJoinedIn,
    MemberLeftIn,
    PersonDiedIn,
    PersonRegisteredIn,
    PersonUpdatedIn,
    PovertyStatusIn,
)

STEP_KINDS = ("approved", "suspended", "reinstated", "terminated", "changed")


def month_start(month: str) -> date:
    year, m = month.split("-")
    return date(int(year), int(m), 1)


async def person_registered(session: AsyncSession, event: Event) -> None:
    """A child's TE starts at birth registration: the day the registry registered the person (Vietnam time)."""
    data = PersonRegisteredIn.model_validate(event.data)
    await repository.registered(
        session, data.person_id, data.date_of_birth, data.sex, repository.areas(data), clock.to_vietnam_date(event.time)
    )


async def person_updated(session: AsyncSession, event: Event) -> None:
    data = PersonUpdatedIn.model_validate(event.data)
    await repository.updated(session, data.person_id, data.date_of_birth, data.sex, repository.areas(data))


async def person_died(session: AsyncSession, event: Event) -> None:
    data = PersonDiedIn.model_validate(event.data)
    await repository.died(session, data.person_id, data.date_of_birth, data.death_date, repository.areas(data))


async def beneficiary_step(session: AsyncSession, event: Event, kind: str) -> None:
    """Only the kind of decision and its month are kept: the categories (5.3 and 5.8 name HIV) are never read."""
    data = BeneficiaryStepIn.model_validate(event.data)
    if data.date_of_birth is not None:
        await repository.ensure_person(session, data.person_id, data.date_of_birth, repository.areas(data))
    await repository.beneficiary_step(
        session,
        data.beneficiary_id,
        data.person_id,
        kind,
        month_start(data.effective_month),
        event.sequence,
        "terminated" if kind == "terminated" else "",
    )


async def poverty_status(session: AsyncSession, event: Event) -> None:
    data = PovertyStatusIn.model_validate(event.data)
    await repository.poverty_status(session, data.household_id, data.valid_from, data.status, event.sequence)


async def member_joined(session: AsyncSession, event: Event) -> None:
    data = MemberJoinedIn.model_validate(event.data)
    await repository.joined(session, data.household_id, data.person_id, data.joined_on)


async def member_left(session: AsyncSession, event: Event) -> None:
    data = MemberLeftIn.model_validate(event.data)
    await repository.left(session, data.household_id, data.person_id, data.left_on)


async def members_joined(session: AsyncSession, events: list[Event]) -> None:
    """:func:`member_joined` for a run of events about distinct persons, in one statement (a households import
    announces every member: 8,664 single-row statements at the seed's scale 0.05)."""
    data = [MemberJoinedIn.model_validate(e.data) for e in events]
    await repository.joined_many(session, [(d.household_id, d.person_id, d.joined_on) for d in data])


async def persons_registered(session: AsyncSession, events: list[Event]) -> None:
    """:func:`person_registered` for a run of events about distinct persons, in one statement."""
    rows: list[tuple[uuid.UUID, date, str, Areas, date]] = []
    for event in events:
        data = PersonRegisteredIn.model_validate(event.data)
        rows.append((data.person_id, data.date_of_birth, data.sex, data, clock.to_vietnam_date(event.time)))
    await repository.registered_many(session, rows)


async def beneficiary_steps(session: AsyncSession, events: list[Event], kind: str) -> None:
    """:func:`beneficiary_step` for a run of events of one kind about distinct persons, in two statements."""
    data = [BeneficiaryStepIn.model_validate(e.data) for e in events]
    known: list[tuple[uuid.UUID, date, Areas]] = []
    for d in data:
        if d.date_of_birth is not None:
            known.append((d.person_id, d.date_of_birth, d))
    await repository.ensure_persons(session, known)
    await repository.beneficiary_steps(
        session,
        kind,
        [
            (d.beneficiary_id, d.person_id, month_start(d.effective_month), e.sequence)
            for d, e in zip(data, events, strict=True)
        ],
        "terminated" if kind == "terminated" else "",
    )


async def ensure_person(
    session: AsyncSession,
    person_id: uuid.UUID,
    date_of_birth: date,
    *,
    commune_code: str,
    district_code: str,
    province_code: str,
) -> None:
    """A person another feature learned of before the registry's registration arrived (a TE proposal): known to the
    projection with a birth date and areas, nothing else."""
    await repository.ensure_person(
        session,
        person_id,
        date_of_birth,
        {"commune": commune_code, "district": district_code, "province": province_code},
    )


async def store_digests(session: AsyncSession, digests: Mapping[uuid.UUID | str, str]) -> None:
    """The exchange's national-ID digests (learned from the registry for a list): each moves to the person who holds
    the national ID now."""
    await repository.store_digests(session, digests)


async def merge(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID, areas: Areas) -> bool:
    """The registry merged ``merged`` into ``survivor``: remembered (later facts about ``merged`` go to the
    survivor), and its facts moved. False when this merge was already applied."""
    return await repository.merge(session, merged, survivor, repository.areas(areas))


async def survivor_of(session: AsyncSession, person_id: uuid.UUID) -> uuid.UUID:
    """The record ``person_id`` is now (itself unless it was merged away)."""
    return await repository.survivor_of(session, person_id)
