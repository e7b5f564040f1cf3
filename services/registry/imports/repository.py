"""All SQL of bulk imports: set-based lookups and inserts (``unnest`` of arrays), never row by row."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import literal, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import AdminUnit, Application, Household, HouseholdMember, ImportRecord, Person, UnitMapping
from ..persons.repository import Commune

SCHEMA = "registry"


async def lock(session: AsyncSession, kind: str) -> None:
    """Imports of one kind run one at a time (until the transaction ends): the duplicate checks that no
    unique constraint backs (persons without national ID, pending applications) stay exact."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"ansinh.registry.imports.{kind}"})


async def communes_in_force(session: AsyncSession, codes: Collection[str], on: date) -> dict[str, Commune]:
    """The set-based form of :func:`..persons.repository.commune_in_force`: the communes among ``codes`` in
    force ``on`` that day (an admin_units commune, else a 2025 new unit known through unit_mappings)."""
    if not codes:
        return {}
    rows = await session.execute(select(AdminUnit.code, AdminUnit.parent_code, AdminUnit.province_code).where(
        AdminUnit.code.in_(list(codes)), AdminUnit.level == "commune", AdminUnit.valid_from <= on,
        or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > on)))
    found = {c: Commune(c, parent or "", province) for c, parent, province in rows.tuples()}
    rest = [c for c in codes if c not in found]
    if rest:
        # Only codes with an admin_units row: a person's commune must reference one, and a mapping to a code the
        # registry has no row for would otherwise fail the whole file instead of one row.
        mapped = await session.execute(
            select(UnitMapping.new_code, UnitMapping.new_province_code)
            .join(AdminUnit, AdminUnit.code == UnitMapping.new_code)
            .where(UnitMapping.new_code.in_(rest), UnitMapping.effective_from <= on).order_by(UnitMapping.new_code))
        for c, province in mapped.tuples():
            found.setdefault(c, Commune(c, "", province))
    return found


async def successors(session: AsyncSession, codes: Collection[str]) -> dict[str, list[str]]:
    """What each old unit among ``codes`` became (2025), for the hint of an unknown commune."""
    out: dict[str, list[str]] = {}
    if codes:
        rows = await session.execute(select(UnitMapping.old_code, UnitMapping.new_code)
                                     .where(UnitMapping.old_code.in_(list(codes))).order_by(UnitMapping.new_code))
        for old, new in rows.tuples():
            out.setdefault(old, []).append(new)
    return out


@dataclass(frozen=True, slots=True)
class NewPerson:
    id: uuid.UUID
    full_name: str
    name_key: str
    date_of_birth: date
    sex: str
    national_id: str | None
    commune_code: str
    district_code: str
    province_code: str
    address_line: str
    phone: str | None
    ethnicity: str | None
    disability_level: str | None
    disability_certified_on: date | None


_NOT_TEXT = {"id": "uuid", "date_of_birth": "date", "disability_certified_on": "date"}
_PERSON_COLUMNS = [(f.name, _NOT_TEXT.get(f.name, "text")) for f in fields(NewPerson)]
"""(column, SQL type) of every :class:`NewPerson` field, in order: the arrays the insert unnests."""


Announce = Callable[[str], tuple[str, dict[str, Any]]]
"""``rows CTE name → (SQL, parameters)`` that publishes one event per row (``ServiceEvents.publish_sql``)."""


async def insert_persons(session: AsyncSession, rows: Sequence[NewPerson], *, by: str, reason: str,
                         snapshot_fields: Sequence[str], announce: Announce | None = None) -> set[uuid.UUID]:
    """Insert the persons not registered yet, each with its first change record; returns the ids inserted.

    Registered already means: the same national ID (the unique constraint decides, also against concurrent
    writers), or, without national ID, a person with the same name key, date of birth and commune.

    With ``announce``, the same statement publishes ``registry.person.registered.v1`` for each person inserted, its
    envelope built by PostgreSQL from the inserted row (the data of ``PersonRegistered``).
    """
    if not rows:
        return set()
    names = [c for c, _ in _PERSON_COLUMNS]
    arrays = ", ".join(f"CAST(:{c} AS {t}[])" for c, t in _PERSON_COLUMNS)
    snapshot = ", ".join(f"'{f}', a.{f}" for f in snapshot_fields)
    statement = f"""
        WITH input AS (
            SELECT * FROM unnest({arrays}) AS i({', '.join(names)})
        ), added AS (
            INSERT INTO {SCHEMA}.persons ({', '.join(names)}, version, created_at, updated_at, created_by, updated_by)
            SELECT {', '.join('i.' + c for c in names)}, 1, now(), now(), :by, :by
            FROM input i
            WHERE i.national_id IS NOT NULL OR NOT EXISTS (
                SELECT 1 FROM {SCHEMA}.persons p
                WHERE p.name_key = i.name_key AND p.date_of_birth = i.date_of_birth AND p.commune_code = i.commune_code)
            ON CONFLICT (national_id) DO NOTHING
            RETURNING *
        ), history AS (
            INSERT INTO {SCHEMA}.change_history (record_type, record_id, version, changed_by, reason, before, after)
            SELECT 'person', a.id, 1, :by, :reason, NULL, jsonb_build_object({snapshot}) FROM added a
        )
    """
    params: dict[str, Any] = {c: [getattr(r, c) for r in rows] for c in names}
    params.update(by=by, reason=reason)
    if announce is not None:
        publish, publish_params = announce("registered")
        statement += """, registered AS (
            SELECT CAST(a.id AS text) AS subject, row_number() OVER () AS ord,
                   jsonb_build_object('person_id', a.id, 'date_of_birth', a.date_of_birth, 'sex', a.sex,
                                      'commune_code', a.commune_code, 'district_code', a.district_code,
                                      'province_code', a.province_code) AS data
            FROM added a
        )""" + publish
        params.update(publish_params)
    return set((await session.execute(text(statement + " SELECT id FROM added"), params)).scalars())


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
    rows = await session.execute(select(Person.id, Person.national_id, Person.commune_code, Person.district_code,
                                        Person.province_code).where(Person.national_id.in_(list(national_ids))))
    return {nid: PersonRef(pid, nid, commune, district, province)
            for pid, nid, commune, district, province in rows.tuples() if nid is not None}


async def existing_household_codes(session: AsyncSession, codes: Collection[str]) -> set[str]:
    if not codes:
        return set()
    return set(await session.scalars(select(Household.code).where(Household.code.in_(list(codes)))))


async def in_a_household(session: AsyncSession, person_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``person_ids`` that are a current member of some household."""
    if not person_ids:
        return set()
    return set(await session.scalars(select(HouseholdMember.person_id).where(
        HouseholdMember.person_id.in_(list(person_ids)), HouseholdMember.left_on.is_(None))))


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


async def insert_households(session: AsyncSession, rows: Sequence[NewHousehold], *, by: str, today: date,
                            reason: str) -> set[uuid.UUID]:
    """Insert the households whose code is not taken (the unique constraint decides), with their address,
    members, poverty status and first change record; returns the ids inserted."""
    if not rows:
        return set()
    added = set((await session.execute(text(f"""
        INSERT INTO {SCHEMA}.households (id, code, commune_code, district_code, province_code, address_line, version,
                                         created_at, updated_at, created_by, updated_by)
        SELECT i.*, 1, now(), now(), :by, :by
        FROM unnest(CAST(:id AS uuid[]), CAST(:code AS text[]), CAST(:commune AS text[]), CAST(:district AS text[]),
                    CAST(:province AS text[]), CAST(:address AS text[])) AS i
        ON CONFLICT (code) DO NOTHING
        RETURNING id
    """), {"id": [r.id for r in rows], "code": [r.code for r in rows],
                        "commune": [r.commune_code for r in rows], "district": [r.district_code for r in rows],
                        "province": [r.province_code for r in rows], "address": [r.address_line for r in rows],
                        "by": by})).scalars())
    kept = [r for r in rows if r.id in added]
    if not kept:
        return added
    members = [(r.id, pid, rel, joined) for r in kept for pid, rel, joined in r.members]
    poor = [(r.id, *r.poverty) for r in kept if r.poverty is not None]
    await session.execute(text(f"""
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
        ), poverty AS (
            INSERT INTO {SCHEMA}.poverty_statuses (household_id, status, valid_from, document, recorded_at, recorded_by)
            SELECT *, now(), :by FROM unnest(CAST(:p_household AS uuid[]), CAST(:p_status AS text[]),
                                             CAST(:p_from AS date[]), CAST(:p_document AS text[]))
        )
        INSERT INTO {SCHEMA}.change_history (record_type, record_id, version, changed_by, reason, before, after)
        SELECT 'household', h.id, 1, :by, :reason, NULL, CAST(h.after AS jsonb)
        FROM unnest(CAST(:id AS uuid[]), CAST(:after AS text[])) AS h(id, after)
    """), {"id": [r.id for r in kept], "commune": [r.commune_code for r in kept],
           "district": [r.district_code for r in kept], "province": [r.province_code for r in kept],
           "address": [r.address_line for r in kept], "today": today,
           "m_household": [m[0] for m in members], "m_person": [m[1] for m in members],
           "m_rel": [m[2] for m in members], "m_joined": [m[3] for m in members],
           "p_household": [p[0] for p in poor], "p_status": [p[1] for p in poor], "p_from": [p[2] for p in poor],
           "p_document": [p[3] for p in poor], "after": [r.snapshot for r in kept], "by": by, "reason": reason})
    return added


async def pending_applications(session: AsyncSession,
                               person_ids: Collection[uuid.UUID]) -> set[tuple[uuid.UUID, tuple[str, ...]]]:
    """(person, sorted categories) of the applications still waiting for a decision."""
    if not person_ids:
        return set()
    rows = await session.execute(select(Application.person_id, Application.categories).where(
        Application.person_id.in_(list(person_ids)), Application.status == "submitted"))
    return {(pid, tuple(sorted(cats))) for pid, cats in rows.tuples()}


@dataclass(frozen=True, slots=True)
class NewApplication:
    id: uuid.UUID
    person_id: uuid.UUID
    categories: list[str]
    note: str
    snapshot: str


async def insert_applications(session: AsyncSession, rows: Sequence[NewApplication], *, by: str) -> None:
    if not rows:
        return
    # Arrays of arrays do not unnest into rows of arrays; the categories travel joined and are split here.
    await session.execute(text(f"""
        WITH input AS (
            SELECT * FROM unnest(CAST(:id AS uuid[]), CAST(:person AS uuid[]), CAST(:categories AS text[]),
                                 CAST(:note AS text[]), CAST(:after AS text[]))
                          AS i(id, person_id, categories, note, after)
        ), added AS (
            INSERT INTO {SCHEMA}.applications (id, person_id, categories, status, note, submitted_by, submitted_at)
            SELECT id, person_id, string_to_array(categories, ' '), 'submitted', note, :by, now() FROM input
        )
        INSERT INTO {SCHEMA}.change_history (record_type, record_id, version, changed_by, reason, before, after)
        SELECT 'application', id, 1, :by, note, NULL, CAST(after AS jsonb) FROM input
    """), {"id": [r.id for r in rows], "person": [r.person_id for r in rows],
           "categories": [" ".join(r.categories) for r in rows], "note": [r.note for r in rows],
           "after": [r.snapshot for r in rows], "by": by})


def add(session: AsyncSession, record: ImportRecord) -> None:
    session.add(record)


async def get(session: AsyncSession, import_id: uuid.UUID) -> ImportRecord | None:
    return await session.get(ImportRecord, import_id)


async def page(session: AsyncSession, *, created_by: str | None, after: tuple[datetime, uuid.UUID] | None,
               limit: int) -> list[ImportRecord]:
    """Imports newest first; ``created_by`` None lists every client's."""
    query = select(ImportRecord)
    if created_by is not None:
        query = query.where(ImportRecord.created_by == created_by)
    if after is not None:
        query = query.where(tuple_(ImportRecord.created_at, ImportRecord.id)
                            < tuple_(literal(after[0]), literal(after[1])))
    return list(await session.scalars(query.order_by(ImportRecord.created_at.desc(), ImportRecord.id.desc())
                                      .limit(limit)))

