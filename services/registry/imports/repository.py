"""All SQL of bulk imports: set-based lookups and inserts (``unnest`` of arrays), never row by row."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import literal, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import AdminUnit, Application, Household, HouseholdMember, ImportRecord, Person, UnitMapping
from ..persons.repository import Commune

SCHEMA = "registry"


async def lock(session: AsyncSession, kind: str) -> None:
    """Imports of one kind run one at a time (until the transaction ends): the duplicate checks that no
    unique constraint backs (persons without national ID, pending applications) stay exact."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"ansinh.registry.imports.{kind}"})


async def plan_each_statement(session: AsyncSession) -> None:
    """Until the transaction ends, PostgreSQL plans each statement for its parameters (``plan_cache_mode``).

    An import's statements take arrays of thousands of rows; the pooled connection keeps them prepared, and from the
    sixth execution PostgreSQL may switch to a generic plan, made without the arrays' sizes (it assumes 10 rows) and
    with the table statistics of the moment it was made: measured, the same 50,000 persons then cost the database 11 to
    14 s of CPU instead of 3 s (the duplicate checks probing ``persons`` row by row, or scanning it once per row). A
    plan per statement costs a millisecond, a few per import."""
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


async def communes_in_force(session: AsyncSession, codes: Collection[str], on: date) -> dict[str, Commune]:
    """The set-based form of :func:`..persons.repository.commune_in_force`: the communes among ``codes`` in
    force ``on`` that day (an admin_units commune, else a 2025 new unit known through unit_mappings)."""
    if not codes:
        return {}
    rows = await session.execute(
        select(AdminUnit.code, AdminUnit.parent_code, AdminUnit.province_code).where(
            AdminUnit.code.in_(list(codes)),
            AdminUnit.level == "commune",
            AdminUnit.valid_from <= on,
            or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > on),
        )
    )
    found = {c: Commune(c, parent or "", province) for c, parent, province in rows.tuples()}
    rest = [c for c in codes if c not in found]
    if rest:
        # Only codes with an admin_units row: a person's commune must reference one, and a mapping to a code the
        # registry has no row for would otherwise fail the whole file instead of one row.
        mapped = await session.execute(
            select(UnitMapping.new_code, UnitMapping.new_province_code)
            .join(AdminUnit, AdminUnit.code == UnitMapping.new_code)
            .where(UnitMapping.new_code.in_(rest), UnitMapping.effective_from <= on)
            .order_by(UnitMapping.new_code)
        )
        for c, province in mapped.tuples():
            found.setdefault(c, Commune(c, "", province))
    return found


async def successors(session: AsyncSession, codes: Collection[str]) -> dict[str, list[str]]:
    """What each old unit among ``codes`` became (2025), for the hint of an unknown commune."""
    out: dict[str, list[str]] = {}
    if codes:
        rows = await session.execute(
            select(UnitMapping.old_code, UnitMapping.new_code)
            .where(UnitMapping.old_code.in_(list(codes)))
            .order_by(UnitMapping.new_code)
        )
        for old, new in rows.tuples():
            out.setdefault(old, []).append(new)
    return out


@dataclass(frozen=True, slots=True)
class PersonRef:
    id: uuid.UUID
    national_id: str
    commune_code: str
    district_code: str
    province_code: str


async def persons_by_national_id(session: AsyncSession, national_ids: Collection[str]) -> dict[str, PersonRef]:
    if not national_ids:
        return {}
    rows = await session.execute(
        select(Person.id, Person.national_id, Person.commune_code, Person.district_code, Person.province_code).where(
            Person.national_id.in_(list(national_ids))
        )
    )
    return {
        nid: PersonRef(pid, nid, commune, district, province)
        for pid, nid, commune, district, province in rows.tuples()
        if nid is not None
    }


async def existing_household_codes(session: AsyncSession, codes: Collection[str]) -> set[str]:
    if not codes:
        return set()
    return set(await session.scalars(select(Household.code).where(Household.code.in_(list(codes)))))


async def in_a_household(session: AsyncSession, person_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``person_ids`` that are a current member of some household."""
    if not person_ids:
        return set()
    return set(
        await session.scalars(
            select(HouseholdMember.person_id).where(
                HouseholdMember.person_id.in_(list(person_ids)), HouseholdMember.left_on.is_(None)
            )
        )
    )


async def pending_applications(
    session: AsyncSession, person_ids: Collection[uuid.UUID]
) -> set[tuple[uuid.UUID, tuple[str, ...]]]:
    """(person, sorted categories) of the applications still waiting for a decision."""
    if not person_ids:
        return set()
    rows = await session.execute(
        select(Application.person_id, Application.categories).where(
            Application.person_id.in_(list(person_ids)), Application.status == "submitted"
        )
    )
    return {(pid, tuple(sorted(cats))) for pid, cats in rows.tuples()}


def add(session: AsyncSession, record: ImportRecord) -> None:
    session.add(record)


async def get(session: AsyncSession, import_id: uuid.UUID) -> ImportRecord | None:
    return await session.get(ImportRecord, import_id)


async def page(
    session: AsyncSession, *, created_by: str | None, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[ImportRecord]:
    """Imports newest first; ``created_by`` None lists every client's."""
    query = select(ImportRecord)
    if created_by is not None:
        query = query.where(ImportRecord.created_by == created_by)
    if after is not None:
        query = query.where(
            tuple_(ImportRecord.created_at, ImportRecord.id) < tuple_(literal(after[0]), literal(after[1]))
        )
    return list(
        await session.scalars(query.order_by(ImportRecord.created_at.desc(), ImportRecord.id.desc()).limit(limit))
    )
