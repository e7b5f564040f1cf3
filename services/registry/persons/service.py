"""Use cases of the persons feature: register, read, correct, search, history. Never commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import visible_or_404
from common.auth import Principal
from common.errors import Conflict, Forbidden, PreconditionFailed, PreconditionRequired, ValidationFailed
from common.ids import uuid7
from common.pagination import keyset, page_of

from ..duplicates import flagging as duplicates
from ..events import EVENTS, PERSON_REGISTERED, PERSON_UPDATED, PersonRegistered, PersonUpdated
from ..history import service as history_service
from ..models import Person
from ..rules.names import name_key
from ..rules.national_id import validate_national_id
from ..rules.person import Sex
from ..schedules import service as schedules_service
from . import repository
from .exceptions import DuplicateNationalId, PersonMerged
from .schemas import PersonCreate, PersonPatch

SENSITIVE_SCOPE = "registry:sensitive"
SENSITIVE_FIELDS = ("hiv_status",)
REDACTED = "[redacted]"
STORED_FIELDS = (
    "full_name",
    "date_of_birth",
    "sex",
    "national_id",
    "commune_code",
    "district_code",
    "province_code",
    "address_line",
    "phone",
    "ethnicity",
    "disability_level",
    "disability_certified_on",
    "hiv_status",
)


@dataclass(frozen=True, slots=True)
class SensitiveRequest:
    """An explicit request to see sensitive fields, with the purpose that goes into the audit."""

    purpose: str
    request_id: str | None = None


def location(person_id: uuid.UUID) -> str:
    return f"/registry/persons/{person_id}"


def etag(person: Person) -> str:
    return f'"{person.version}"'


def snapshot(person: Person, *, sensitive: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in STORED_FIELDS:
        if name in SENSITIVE_FIELDS and not sensitive:
            continue
        value = getattr(person, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def _check_national_id(national_id: str | None, date_of_birth: date, sex: str) -> None:
    if national_id is None:
        return
    problems = validate_national_id(national_id, date_of_birth, Sex(sex))
    if problems:
        raise ValidationFailed(
            [
                {
                    "field": f"body.{p.field}",
                    "reason": p.reason,
                    "code": p.code,
                    **({"related": f"body.{p.related}"} if p.related else {}),
                }
                for p in problems
            ]
        )


async def place_in_area(session: AsyncSession, principal: Principal, commune_code: str) -> tuple[str, str]:
    """(district_code, province_code) of a commune in force today that the caller may write in."""
    commune = await repository.commune_in_force(session, commune_code, clock.today())
    if commune is None:
        now = await repository.successors(session, commune_code)
        hint = f"; it became {', '.join(now)}" if now else ""
        raise ValidationFailed(
            [
                {
                    "field": "body.commune_code",
                    "reason": f"unknown commune {commune_code!r} (not a commune in force today{hint})",
                }
            ]
        )
    if not principal.may_see_area(commune_code, commune.district_code, commune.province_code):
        hint = ""
        if not commune.district_code:
            hint = (
                f" ({', '.join(principal.areas)}); it is a commune of the 2025 units (province "
                f"{commune.province_code}, no district): the department can give this client its 2025 areas"
            )
        raise Forbidden(f"commune {commune_code} is outside the areas of this client{hint}")
    return commune.district_code, commune.province_code


def _duplicate(existing: uuid.UUID | None) -> Conflict:
    extra: dict[str, Any] = {"existing": location(existing)} if existing else {}
    return DuplicateNationalId("a person with this national ID is already registered", **extra)


async def register(
    session: AsyncSession,
    principal: Principal,
    body: PersonCreate,
) -> tuple[Person, list[uuid.UUID]]:
    """The person registered, and the records it may duplicate (flagged for an officer; never merged here)."""
    if body.hiv_status is not None and not principal.has(SENSITIVE_SCOPE):
        raise Forbidden(f"setting hiv_status needs the {SENSITIVE_SCOPE} scope")
    _check_national_id(body.national_id, body.date_of_birth, body.sex)
    district_code, province_code = await place_in_area(session, principal, body.commune_code)
    if body.national_id is not None:
        existing = await repository.id_by_national_id(session, body.national_id)
        if existing is not None:
            raise _duplicate(existing)
    now = datetime.now(UTC)
    person = Person(
        id=uuid7(),
        name_key=name_key(body.full_name),
        district_code=district_code,
        province_code=province_code,
        version=1,
        created_at=now,
        updated_at=now,
        created_by=principal.client_id,
        updated_by=principal.client_id,
        **body.model_dump(),
    )
    try:
        # Two concurrent registrations of one ID both pass the check above; the unique constraint decides.
        await repository.flush_guarding_national_id(session, person, body.national_id)
    except repository.DuplicateNationalId as exc:
        raise _duplicate(exc.existing_id) from exc
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=person.id,
        version=1,
        changed_by=principal.client_id,
        reason="",
        before=None,
        after=snapshot(person),
    )
    await EVENTS.publish(
        session,
        PERSON_REGISTERED,
        str(person.id),
        PersonRegistered(
            person_id=person.id,
            date_of_birth=person.date_of_birth,
            sex=person.sex,
            commune_code=person.commune_code,
            district_code=person.district_code,
            province_code=person.province_code,
        ),
    )
    await duplicates.flag(session, [person.id], principal.client_id)
    partners = (await duplicates.open_partners(session, [person.id])).get(person.id, [])
    return person, partners


async def get_visible(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, *, for_update: bool = False
) -> Person:
    """The person, or 404 when missing or outside the caller's areas (existence is not revealed)."""
    person = await repository.get(session, person_id, for_update=for_update)
    person = visible_or_404(principal, person, f"person {person_id}")
    return person


def _audit(
    session: AsyncSession,
    principal: Principal,
    person_id: uuid.UUID,
    sensitive: SensitiveRequest | None,
) -> bool:
    """True if sensitive fields may be shown; then the read is recorded."""
    if sensitive is None:
        return False
    if not principal.has(SENSITIVE_SCOPE):
        raise Forbidden(f"include=sensitive needs the {SENSITIVE_SCOPE} scope")
    repository.add_sensitive_read(
        session,
        client_id=principal.client_id,
        record_id=person_id,
        fields=list(SENSITIVE_FIELDS),
        purpose=sensitive.purpose,
        request_id=sensitive.request_id,
    )
    return True


async def read(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, sensitive: SensitiveRequest | None
) -> tuple[Person, bool]:
    person = await get_visible(session, principal, person_id)
    return person, _audit(session, principal, person_id, sensitive)


def matches_if_match(if_match: str | None, current: int) -> bool:
    if if_match is None:
        raise PreconditionRequired(
            "this update needs an If-Match header with the record's ETag", current_version=current
        )
    for tag in (t.strip() for t in if_match.split(",")):
        if tag == "*" or tag.removeprefix("W/").strip('"') == str(current):
            return True
    return False


async def update(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, if_match: str | None, patch: PersonPatch
) -> Person:
    person = await get_visible(session, principal, person_id, for_update=True)
    if person.merged_into is not None:
        raise PersonMerged(
            f"this record was merged into {person.merged_into}: correct that one",
            merged_into=location(person.merged_into),
        )
    if not matches_if_match(if_match, person.version):
        raise PreconditionFailed(
            f"the record has changed: it is at version {person.version}; re-read it and retry",
            headers={"ETag": etag(person)},
            current_version=person.version,
            current_etag=etag(person),
        )
    changes = patch.changes()
    if "hiv_status" in changes and not principal.has(SENSITIVE_SCOPE):
        raise Forbidden(f"setting hiv_status needs the {SENSITIVE_SCOPE} scope")
    merged = {name: changes.get(name, getattr(person, name)) for name in STORED_FIELDS}
    if {"national_id", "date_of_birth", "sex"} & changes.keys():
        _check_national_id(merged["national_id"], merged["date_of_birth"], merged["sex"])
    if "commune_code" in changes and changes["commune_code"] != person.commune_code:
        changes["district_code"], changes["province_code"] = await place_in_area(
            session, principal, changes["commune_code"]
        )
    changed = [name for name in STORED_FIELDS if name in changes and changes[name] != getattr(person, name)]
    if not changed:
        return person
    new_id = changes.get("national_id")
    if "national_id" in changed and new_id is not None:
        existing = await repository.id_by_national_id(session, new_id)
        if existing is not None and existing != person.id:
            raise _duplicate(existing)

    sensitive_view = principal.has(SENSITIVE_SCOPE)  # history keeps the value; reading it is gated and audited
    before = {k: v for k, v in snapshot(person, sensitive=sensitive_view).items() if k in changed}
    for name in changed:
        setattr(person, name, changes[name])
    if "full_name" in changed:
        person.name_key = name_key(person.full_name)
    person.version += 1
    person.updated_at = datetime.now(UTC)
    person.updated_by = principal.client_id
    try:
        await repository.flush_guarding_national_id(session, person, person.national_id)
    except repository.DuplicateNationalId as exc:
        raise _duplicate(exc.existing_id) from exc
    after = {k: v for k, v in snapshot(person, sensitive=True).items() if k in changed}
    before = {k: before.get(k) for k in after}
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=person.id,
        version=person.version,
        changed_by=principal.client_id,
        reason=patch.reason,
        before=before,
        after=after,
    )
    public_changes = [name for name in changed if name not in SENSITIVE_FIELDS]
    if public_changes:
        await EVENTS.publish(
            session,
            PERSON_UPDATED,
            str(person.id),
            PersonUpdated(
                person_id=person.id,
                version=person.version,
                changed=public_changes,
                date_of_birth=person.date_of_birth,
                sex=person.sex,
                commune_code=person.commune_code,
                district_code=person.district_code,
                province_code=person.province_code,
            ),
        )
    await schedules_service.refresh_person(session, person.id)
    return person


def _redact(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: (REDACTED if k in SENSITIVE_FIELDS else v) for k, v in values.items()}


async def history(
    session: AsyncSession,
    principal: Principal,
    person_id: uuid.UUID,
    sensitive: SensitiveRequest | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """Change records, newest first; sensitive values redacted unless explicitly requested (and audited)."""
    await get_visible(session, principal, person_id)
    shown = _audit(session, principal, person_id, sensitive)
    return await history_service.page(
        session, repository.RECORD_TYPE, person_id, cursor, limit, (lambda values: values) if shown else _redact
    )


async def search(
    session: AsyncSession,
    principal: Principal,
    *,
    q: str | None,
    commune_code: str | None,
    district_code: str | None,
    born_from: date | None,
    born_to: date | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Person], str | None]:
    after = keyset(cursor, str, uuid.UUID)
    rows = await repository.search(
        session,
        areas=principal.limited_to,
        key=name_key(q) if q else None,
        commune_code=commune_code,
        district_code=district_code,
        born_from=born_from,
        born_to=born_to,
        after=after,
        limit=limit + 1,
    )
    return page_of(rows, limit, lambda p: [p.name_key, str(p.id)])


async def identities(session: AsyncSession, principal: Principal, ids: list[uuid.UUID]) -> list[Row[Any]]:
    """The identity fields of the persons among ``ids`` within the caller's areas, with their current household's
    code (plain rows)."""
    return await repository.identities(session, ids, principal.limited_to)


NewPerson = repository.NewPerson
NewPersons = repository.NewPersons
new_persons = repository.new_persons


async def register_many(
    session: AsyncSession,
    persons: NewPersons,
    *,
    by: str,
    reason: str,
    announce: repository.Announce | None = None,
    flag: repository.Announce | None = None,
) -> repository.Inserted:
    """A bulk import's persons (made by :func:`new_persons`) not registered yet (same national ID, or without one the
    same name key, date of birth and commune), each with its first change record (the stored fields but the sensitive
    ones); how many were inserted. Flagging duplicates and publishing are the caller's, in the same statement with
    ``flag`` (the duplicates feature's ``flag_new_sql``) and ``announce`` (``registry.person.registered.v1``). The
    change records are written by the same statement, their ``after`` built by PostgreSQL (before: a JSON document
    per person built in Python and sent)."""
    snapshot = [f for f in STORED_FIELDS if f not in SENSITIVE_FIELDS]
    history = partial(history_service.created_sql, repository.RECORD_TYPE, by, reason, fields=snapshot)
    return await repository.insert_many(session, persons, by=by, announce=announce, history=history, flag=flag)


async def record_death(
    session: AsyncSession, principal: Principal, person: Person, death_date: date, document: str
) -> None:
    """The person's side of a death (``deaths.service`` checks it, locks the person and publishes): the death date
    and document, a new version and its change record."""
    person.death_date = death_date
    person.death_document = document
    person.version += 1
    person.updated_at = datetime.now(UTC)
    person.updated_by = principal.client_id
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=person.id,
        version=person.version,
        changed_by=principal.client_id,
        reason="death recorded",
        before={"death_date": None, "death_document": None},
        after={"death_date": death_date.isoformat(), "death_document": document},
    )
    await session.flush()


async def merge_into(
    session: AsyncSession,
    principal: Principal,
    merged: Person,
    survivor: Person,
    *,
    reason: str,
    moved: dict[str, int],
    at: datetime,
) -> None:
    """The persons' side of a merge (``duplicates.service`` locks both and re-keys the other features' rows):
    ``merged`` is marked ``merged_into`` the survivor, which takes its national ID if it has none; a new version
    and a change record each."""
    taken_id = merged.national_id if merged.national_id and not survivor.national_id else None
    merged_before: dict[str, Any] = {"merged_into": None}
    merged_after: dict[str, Any] = {"merged_into": str(survivor.id)}
    if taken_id:
        merged_before["national_id"], merged_after["national_id"] = taken_id, None
        merged.national_id = None
    merged.merged_into = survivor.id
    for p in (merged, survivor):
        p.version += 1
        p.updated_at, p.updated_by = at, principal.client_id
    await session.flush()  # the national ID leaves the merged record before the survivor takes it
    survivor_before: dict[str, Any] = {}
    survivor_after: dict[str, Any] = {"merged_from": str(merged.id), "moved": moved}
    if taken_id:
        survivor_before["national_id"], survivor.national_id = None, taken_id
        survivor_after["national_id"] = taken_id
    await session.flush()
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=merged.id,
        version=merged.version,
        changed_by=principal.client_id,
        reason=reason,
        before=merged_before,
        after=merged_after,
    )
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=survivor.id,
        version=survivor.version,
        changed_by=principal.client_id,
        reason=reason,
        before=survivor_before,
        after=survivor_after,
    )
