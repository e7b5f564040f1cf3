"""All SQL of the households feature."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import UniqueViolation, flush_in_savepoint

from ..models import SCHEMA, Household, HouseholdAddress, HouseholdMember, Person, PovertyStatus

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
    return list(
        await session.scalars(
            select(HouseholdMember).where(
                HouseholdMember.person_id.in_(list(person_ids)), HouseholdMember.left_on.is_(None)
            )
        )
    )


async def members(
    session: AsyncSession, household_id: uuid.UUID, *, for_update: bool = False
) -> list[tuple[HouseholdMember, str]]:
    """Current members with their names, head first, then by joining date."""
    query = (
        select(HouseholdMember, Person.full_name)
        .join(Person, Person.id == HouseholdMember.person_id)
        .where(HouseholdMember.household_id == household_id, HouseholdMember.left_on.is_(None))
        .order_by((HouseholdMember.relationship != "head"), HouseholdMember.joined_on, HouseholdMember.id)
    )
    if for_update:
        query = query.with_for_update(of=HouseholdMember)
    return [(m, name) for m, name in (await session.execute(query)).all()]


async def poverty_history(session: AsyncSession, household_id: uuid.UUID) -> list[PovertyStatus]:
    return list(
        await session.scalars(
            select(PovertyStatus)
            .where(PovertyStatus.household_id == household_id)
            .order_by(PovertyStatus.valid_from.desc(), PovertyStatus.id.desc())
        )
    )


async def addresses(session: AsyncSession, household_id: uuid.UUID) -> list[HouseholdAddress]:
    return list(
        await session.scalars(
            select(HouseholdAddress)
            .where(HouseholdAddress.household_id == household_id)
            .order_by(HouseholdAddress.valid_from, HouseholdAddress.id)
        )
    )


async def current_address(session: AsyncSession, household_id: uuid.UUID) -> HouseholdAddress | None:
    return await session.scalar(
        select(HouseholdAddress)
        .where(HouseholdAddress.household_id == household_id, HouseholdAddress.valid_to.is_(None))
        .with_for_update()
    )


async def memberships_of(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> list[HouseholdMember]:
    """Every membership (current or past) of these persons."""
    ids = list(person_ids)
    if not ids:
        return []
    return list(
        await session.scalars(
            select(HouseholdMember)
            .where(HouseholdMember.person_id.in_(ids))
            .order_by(HouseholdMember.person_id, HouseholdMember.joined_on)
        )
    )


async def members_with_relationship(
    session: AsyncSession, household_ids: Iterable[uuid.UUID], relationships: Iterable[str]
) -> list[tuple[HouseholdMember, Person]]:
    """Every membership (current or past) in these households with one of these relationships, with its person."""
    ids, wanted = list(household_ids), list(relationships)
    if not ids or not wanted:
        return []
    rows = await session.execute(
        select(HouseholdMember, Person)
        .join(Person, Person.id == HouseholdMember.person_id)
        .where(HouseholdMember.household_id.in_(ids), HouseholdMember.relationship.in_(wanted))
        .order_by(Person.date_of_birth, Person.id, HouseholdMember.joined_on)
    )
    return [(m, p) for m, p in rows.tuples()]


async def co_members(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Every person who is or was in a household with one of these persons (themselves included)."""
    ids = list(person_ids)
    if not ids:
        return []
    households = select(HouseholdMember.household_id).where(HouseholdMember.person_id.in_(ids))
    return list(
        await session.scalars(
            select(HouseholdMember.person_id).distinct().where(HouseholdMember.household_id.in_(households))
        )
    )


async def rekey_person(
    session: AsyncSession, source: uuid.UUID, target: uuid.UUID, *, today: date, close_membership: bool
) -> int:
    """Re-key ``source``'s household memberships to ``target`` (an officer's merge of two records of one person);
    ``close_membership``: ``source``'s open membership (in the target's household) ends ``today`` first. Memberships
    moved."""
    if close_membership:
        await session.execute(
            update(HouseholdMember)
            .where(HouseholdMember.person_id == source, HouseholdMember.left_on.is_(None))
            .values(left_on=func.greatest(HouseholdMember.joined_on, today))
            .execution_options(synchronize_session=False)
        )
    result = await session.execute(
        update(HouseholdMember)
        .where(HouseholdMember.person_id == source)
        .values(person_id=target)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- bulk (imports) ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewHousehold:
    id: uuid.UUID
    code: str
    commune_code: str
    district_code: str
    province_code: str
    address_line: str
    members: tuple[tuple[uuid.UUID, str, date], ...]
    """(person id, relationship, joined on)"""
    poverty: tuple[str, date, str] | None
    """(status, valid from, document)"""
    snapshot: str
    """The change record's ``after`` (JSON text)."""


async def insert_many(session: AsyncSession, rows: Sequence[NewHousehold], *, by: str, today: date) -> set[uuid.UUID]:
    """Insert the households whose code is not taken (the unique constraint decides), with their address, members
    and poverty status (a bulk import); returns the ids inserted."""
    if not rows:
        return set()
    added = set(
        (
            await session.execute(
                text(f"""
        INSERT INTO {SCHEMA}.households (id, code, commune_code, district_code, province_code, address_line, version,
                                         created_at, updated_at, created_by, updated_by)
        SELECT i.*, 1, now(), now(), :by, :by
        FROM unnest(CAST(:id AS uuid[]), CAST(:code AS text[]), CAST(:commune AS text[]), CAST(:district AS text[]),
                    CAST(:province AS text[]), CAST(:address AS text[])) AS i
        ON CONFLICT (code) DO NOTHING
        RETURNING id
    """),
                {
                    "id": [r.id for r in rows],
                    "code": [r.code for r in rows],
                    "commune": [r.commune_code for r in rows],
                    "district": [r.district_code for r in rows],
                    "province": [r.province_code for r in rows],
                    "address": [r.address_line for r in rows],
                    "by": by,
                },
            )
        ).scalars()
    )
    kept = [r for r in rows if r.id in added]
    if not kept:
        return added
    members = [(r.id, pid, rel, joined) for r in kept for pid, rel, joined in r.members]
    poor = [(r.id, *r.poverty) for r in kept if r.poverty is not None]
    await session.execute(
        text(f"""
        WITH addresses AS (
            INSERT INTO {SCHEMA}.household_addresses (household_id, commune_code, district_code, province_code,
                                                      address_line, valid_from)
            SELECT *, CAST(:today AS date) FROM unnest(CAST(:id AS uuid[]), CAST(:commune AS text[]),
                                                       CAST(:district AS text[]), CAST(:province AS text[]),
                                                       CAST(:address AS text[]))
        ), members AS (
            INSERT INTO {SCHEMA}.household_members (household_id, person_id, relationship, joined_on)
            SELECT * FROM unnest(CAST(:m_household AS uuid[]), CAST(:m_person AS uuid[]), CAST(:m_rel AS text[]),
                                 CAST(:m_joined AS date[]))
        )
        INSERT INTO {SCHEMA}.poverty_statuses (household_id, status, valid_from, document, recorded_at, recorded_by)
        SELECT *, now(), :by FROM unnest(CAST(:p_household AS uuid[]), CAST(:p_status AS text[]),
                                         CAST(:p_from AS date[]), CAST(:p_document AS text[]))
    """),
        {
            "id": [r.id for r in kept],
            "commune": [r.commune_code for r in kept],
            "district": [r.district_code for r in kept],
            "province": [r.province_code for r in kept],
            "address": [r.address_line for r in kept],
            "today": today,
            "m_household": [m[0] for m in members],
            "m_person": [m[1] for m in members],
            "m_rel": [m[2] for m in members],
            "m_joined": [m[3] for m in members],
            "p_household": [p[0] for p in poor],
            "p_status": [p[1] for p in poor],
            "p_from": [p[2] for p in poor],
            "p_document": [p[3] for p in poor],
            "by": by,
        },
    )
    return added
