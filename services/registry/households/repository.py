"""All SQL of the households feature."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import UniqueViolation, flush_in_savepoint

from ..models import ChangeRecord, Household, HouseholdAddress, HouseholdMember, Person, PovertyStatus

RECORD_TYPE = "household"
CURRENT_MEMBER_INDEX = "uq_household_members_current_person"


class DuplicateCode(Exception):
    pass


class AlreadyMember(Exception):
    """A concurrent writer put the person into a household first (the partial unique index decided)."""


async def flush(session: AsyncSession, *objects: Any) -> None:
    """Write ``objects`` now; a concurrent writer's win surfaces as AlreadyMember or DuplicateCode."""
    try:
        await flush_in_savepoint(session, *objects)
    except UniqueViolation as exc:
        if exc.concerns(CURRENT_MEMBER_INDEX):
            raise AlreadyMember from exc
        if exc.concerns("uq_households_code"):
            raise DuplicateCode from exc
        raise


async def get(session: AsyncSession, household_id: uuid.UUID, *, for_update: bool = False) -> Household | None:
    query = select(Household).where(Household.id == household_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def persons(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Person]:
    rows = await session.scalars(select(Person).where(Person.id.in_(list(person_ids))))
    return {p.id: p for p in rows}


async def current_memberships(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> list[HouseholdMember]:
    """The open memberships (any household) of these persons."""
    return list(await session.scalars(select(HouseholdMember).where(
        HouseholdMember.person_id.in_(list(person_ids)), HouseholdMember.left_on.is_(None))))


async def members(session: AsyncSession, household_id: uuid.UUID,
                  *, for_update: bool = False) -> list[tuple[HouseholdMember, str]]:
    """Current members with their names, head first, then by joining date."""
    query = (select(HouseholdMember, Person.full_name).join(Person, Person.id == HouseholdMember.person_id)
             .where(HouseholdMember.household_id == household_id, HouseholdMember.left_on.is_(None))
             .order_by((HouseholdMember.relationship != "head"), HouseholdMember.joined_on, HouseholdMember.id))
    if for_update:
        query = query.with_for_update(of=HouseholdMember)
    return [(m, name) for m, name in (await session.execute(query)).all()]


async def poverty_history(session: AsyncSession, household_id: uuid.UUID) -> list[PovertyStatus]:
    return list(await session.scalars(select(PovertyStatus).where(PovertyStatus.household_id == household_id)
                                      .order_by(PovertyStatus.valid_from.desc(), PovertyStatus.id.desc())))


async def addresses(session: AsyncSession, household_id: uuid.UUID) -> list[HouseholdAddress]:
    return list(await session.scalars(select(HouseholdAddress).where(HouseholdAddress.household_id == household_id)
                                      .order_by(HouseholdAddress.valid_from, HouseholdAddress.id)))


async def current_address(session: AsyncSession, household_id: uuid.UUID) -> HouseholdAddress | None:
    return await session.scalar(select(HouseholdAddress).where(
        HouseholdAddress.household_id == household_id, HouseholdAddress.valid_to.is_(None)).with_for_update())


def add_change(session: AsyncSession, *, record_id: uuid.UUID, version: int, changed_by: str, reason: str,
               before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    session.add(ChangeRecord(record_type=RECORD_TYPE, record_id=record_id, version=version,
                             changed_by=changed_by, reason=reason, before=before, after=after))


async def memberships_of(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> list[HouseholdMember]:
    """Every membership (current or past) of these persons."""
    ids = list(person_ids)
    if not ids:
        return []
    return list(await session.scalars(select(HouseholdMember).where(HouseholdMember.person_id.in_(ids))
                                      .order_by(HouseholdMember.person_id, HouseholdMember.joined_on)))


async def members_with_relationship(session: AsyncSession, household_ids: Iterable[uuid.UUID],
                                    relationships: Iterable[str]) -> list[tuple[HouseholdMember, Person]]:
    """Every membership (current or past) in these households with one of these relationships, with its person."""
    ids, wanted = list(household_ids), list(relationships)
    if not ids or not wanted:
        return []
    rows = await session.execute(
        select(HouseholdMember, Person).join(Person, Person.id == HouseholdMember.person_id)
        .where(HouseholdMember.household_id.in_(ids), HouseholdMember.relationship.in_(wanted))
        .order_by(Person.date_of_birth, Person.id, HouseholdMember.joined_on))
    return [(m, p) for m, p in rows.tuples()]


async def co_members(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Every person who is or was in a household with one of these persons (themselves included)."""
    ids = list(person_ids)
    if not ids:
        return []
    households = select(HouseholdMember.household_id).where(HouseholdMember.person_id.in_(ids))
    return list(await session.scalars(select(HouseholdMember.person_id).distinct()
                                      .where(HouseholdMember.household_id.in_(households))))
