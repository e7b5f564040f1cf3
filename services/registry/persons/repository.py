"""All SQL of the persons feature."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, Text, any_, bindparam, cast, exists, literal, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import UniqueViolation, flush_in_savepoint, in_areas
from common.packed import pack, pack_dates, unpack_sql

from ..models import SCHEMA, AdminUnit, Household, HouseholdMember, Person, SensitiveRead, UnitMapping

RECORD_TYPE = "person"


class DuplicateNationalId(Exception):
    def __init__(self, existing_id: uuid.UUID | None) -> None:
        super().__init__("national_id already registered")
        self.existing_id = existing_id


@dataclass(frozen=True, slots=True)
class Commune:
    code: str
    district_code: str
    """Empty for communes created by the 2025 reorganisation, which abolished districts."""
    province_code: str


async def commune_in_force(session: AsyncSession, code: str, on: date) -> Commune | None:
    """The commune ``code`` as it is ``on`` that day, or None if no commune had that code then.

    A code reused by the 2025 reorganisation keeps its admin_units row for the old unit (valid until
    2025-07-01); the new unit behind it is known only through unit_mappings, so that is looked up second.
    """
    unit = await session.scalar(
        select(AdminUnit).where(
            AdminUnit.code == code,
            AdminUnit.level == "commune",
            AdminUnit.valid_from <= on,
            or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > on),
        )
    )
    if unit is not None:
        return Commune(code, unit.parent_code or "", unit.province_code)
    # Only a new code with a unit row (the reused old one, or one an administrator added): records refer to
    # admin_units, and a mapping may name a code the registry has no row for yet.
    successor = await session.scalar(
        select(UnitMapping)
        .where(
            UnitMapping.new_code == code,
            UnitMapping.effective_from <= on,
            exists(select(AdminUnit.code).where(AdminUnit.code == code)),
        )
        .limit(1)
    )
    if successor is not None:
        return Commune(code, "", successor.new_province_code)
    return None


async def successors(session: AsyncSession, code: str) -> list[str]:
    return list(
        await session.scalars(
            select(UnitMapping.new_code).where(UnitMapping.old_code == code).order_by(UnitMapping.new_code)
        )
    )


async def id_by_national_id(session: AsyncSession, national_id: str) -> uuid.UUID | None:
    return await session.scalar(select(Person.id).where(Person.national_id == national_id))


async def flush_guarding_national_id(session: AsyncSession, person: Person, national_id: str | None) -> None:
    """Write ``person`` now; a concurrent holder of the same national ID surfaces as DuplicateNationalId.

    The savepoint keeps the request's transaction usable after the unique violation, so the existing
    record can still be looked up and named.
    """
    try:
        await flush_in_savepoint(session, person)
    except UniqueViolation as exc:
        if not exc.concerns("uq_persons_national_id") or national_id is None:
            raise
        raise DuplicateNationalId(await id_by_national_id(session, national_id)) from exc


async def get(session: AsyncSession, person_id: uuid.UUID, *, for_update: bool = False) -> Person | None:
    query = select(Person).where(Person.id == person_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    session: AsyncSession,
    *,
    areas: Sequence[str] | None,
    key: str | None,
    commune_code: str | None,
    district_code: str | None,
    born_from: date | None,
    born_to: date | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[Person]:
    """Persons in (name_key, id) order; ``areas`` None means unrestricted. A name is matched through the
    trigram index (:func:`name_like`)."""
    query = select(Person).where(Person.merged_into.is_(None))  # a record merged away is read by id only
    if areas is not None:
        query = query.where(in_areas(Person, areas))
    if key:
        query = query.where(name_like(key))
    if commune_code:
        query = query.where(Person.commune_code == commune_code)
    if district_code:
        query = query.where(Person.district_code == district_code)
    if born_from:
        query = query.where(Person.date_of_birth >= born_from)
    if born_to:
        query = query.where(Person.date_of_birth <= born_to)
    if after is not None:
        query = query.where(tuple_(Person.name_key, Person.id) > tuple_(literal(after[0]), literal(after[1])))
    return list(await session.scalars(query.order_by(Person.name_key, Person.id).limit(limit)))


def name_like(key: str) -> ColumnElement[bool]:
    """Persons whose name contains ``key`` (already folded, :func:`..rules.names.name_key`).

    Served by the trigram index ``ix_persons_name_key_trgm`` when the planner finds it cheaper than walking
    the name index in order (measured at 50,000 persons: a rare full name 2 ms instead of 17, "nguyen thi"
    10 ms; forcing the trigram path with a MATERIALIZED CTE was slower for both)."""
    return Person.name_key.like(f"%{_escape_like(key)}%", escape="\\")


def add_sensitive_read(
    session: AsyncSession,
    *,
    client_id: str,
    record_id: uuid.UUID,
    fields: list[str],
    purpose: str,
    request_id: str | None,
) -> None:
    session.add(
        SensitiveRead(
            client_id=client_id,
            record_type=RECORD_TYPE,
            record_id=record_id,
            fields=fields,
            purpose=purpose,
            request_id=request_id,
        )
    )


async def identities(session: AsyncSession, ids: Sequence[uuid.UUID], areas: Sequence[str] | None) -> list[Row[Any]]:
    """The identity fields of the persons among ``ids`` (within ``areas``), each with the code of their current
    household, as plain rows (no ORM objects: lists of 100,000+ persons are read 1,000 at a time)."""
    # The ids as one array parameter (``= ANY``), the id as text and the statement run without the ORM: an expanding
    # ``IN`` of 1,000 parameters compiled per call, and the ORM's row loading, were most of a call's CPU.
    query = (
        select(
            cast(Person.id, Text).label("id"),
            Person.full_name,
            Person.date_of_birth,
            Person.sex,
            Person.national_id,
            Person.address_line,
            Person.commune_code,
            Person.district_code,
            Person.province_code,
            Household.code.label("household_code"),
        )
        .outerjoin(HouseholdMember, (HouseholdMember.person_id == Person.id) & HouseholdMember.left_on.is_(None))
        .outerjoin(Household, Household.id == HouseholdMember.household_id)
        .where(Person.id == any_(bindparam("ids", list(ids), type_=ARRAY(PG_UUID(as_uuid=True)))))
        .order_by(Person.id)
    )
    if areas is not None:
        query = query.where(in_areas(Person, areas))
    return list((await (await session.connection()).execute(query)).all())


# --- bulk (imports) ---------------------------------------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class NewPersons:
    """Persons for :func:`insert_many` with the statement's column parameters made (:func:`new_persons`): an import
    makes them for its next chunk while the database inserts the one before."""

    ids: list[uuid.UUID]
    columns: dict[str, Any]


def new_persons(rows: Sequence[NewPerson]) -> NewPersons:
    """The ids as an array of UUIDs, every other column packed into one string (``common.packed``: the driver's
    encoding of 13 arrays was ~40 ms of a 10,000-row chunk, waited for by the database)."""
    ids = [r.id for r in rows]
    columns: dict[str, Any] = {
        c: (pack_dates if t == "date" else pack)([getattr(r, c) for r in rows])
        for c, t in _PERSON_COLUMNS
        if t != "uuid"
    }
    return NewPersons(ids, columns)


@dataclass(frozen=True, slots=True)
class Inserted:
    """What :func:`insert_many` did."""

    count: int
    """Persons inserted (the others were registered already)."""
    paired: set[uuid.UUID]
    """With ``flag``: the records of the pairs it flagged, the new ones and the registry's."""


Announce = Callable[[str], tuple[str, dict[str, Any]]]
"""``rows CTE name → (SQL, parameters)`` that publishes one event per row (``ServiceEvents.publish_sql``)."""


async def insert_many(
    session: AsyncSession,
    persons: NewPersons,
    *,
    by: str,
    announce: Announce | None = None,
    history: Announce | None = None,
    flag: Announce | None = None,
) -> Inserted:
    """Insert the persons not registered yet (a bulk import).

    Registered already means: the same national ID (the unique constraint decides, also against concurrent
    writers), or, without national ID, a person with the same name key, date of birth and commune: one probe of
    ``ix_persons_identity`` per such row (``OFFSET 0`` keeps PostgreSQL from hashing the whole table instead, which it
    did once per chunk when its statistics said the table was small).

    With ``announce``, the same statement publishes ``registry.person.registered.v1`` for each person inserted, its
    envelope built by PostgreSQL from the inserted row (the data of ``PersonRegistered``). With ``history``, the same
    statement writes each inserted person's first change record (``history.service.created_sql``); with ``flag``, it
    flags the inserted persons' possible duplicates (``duplicates.flagging.flag_new_sql``).
    """
    if not persons.ids:
        return Inserted(0, set())
    names = [c for c, _ in _PERSON_COLUMNS]
    arrays = ", ".join(f"CAST(:{c} AS uuid[])" if t == "uuid" else unpack_sql(c, t) for c, t in _PERSON_COLUMNS)
    statement = f"""
        WITH input AS (
            SELECT * FROM unnest({arrays}) AS i({", ".join(names)})
        ), added AS (
            INSERT INTO {SCHEMA}.persons ({", ".join(names)}, version, created_at, updated_at, created_by, updated_by)
            SELECT {", ".join("i." + c for c in names)}, 1, now(), now(), :by, :by
            FROM input i
            WHERE i.national_id IS NOT NULL OR NOT EXISTS (
                SELECT 1 FROM {SCHEMA}.persons p
                WHERE p.name_key = i.name_key AND p.date_of_birth = i.date_of_birth AND p.commune_code = i.commune_code
                OFFSET 0)
            ON CONFLICT (national_id) DO NOTHING
            RETURNING {", ".join(names)}
        )"""
    params: dict[str, Any] = {"id": persons.ids, **persons.columns, "by": by}
    if announce is not None:
        publish, publish_params = announce("registered")
        statement += (
            """, registered AS (
            SELECT CAST(a.id AS text) AS subject, row_number() OVER () AS ord,
                   jsonb_build_object('person_id', a.id, 'date_of_birth', a.date_of_birth, 'sex', a.sex,
                                      'commune_code', a.commune_code, 'district_code', a.district_code,
                                      'province_code', a.province_code) AS data
            FROM added a
        )"""
            + publish
        )
        params.update(publish_params)
    for also in (history, flag):
        if also is not None:
            more, more_params = also("added")
            statement += more
            params.update(more_params)
    # A count, not the ids: decoding 10,000 ids per chunk was time the database waited for. ``flag``'s SQL ends with
    # the CTE ``_flagged`` (the pairs it recorded: person_id, other_id).
    paired = "ARRAY(SELECT person_id FROM _flagged UNION SELECT other_id FROM _flagged)" if flag else "'{}'::uuid[]"
    result = await session.execute(text(f"{statement} SELECT (SELECT count(*) FROM added), {paired}"), params)
    count, ids = result.one()
    return Inserted(count, set(ids))
