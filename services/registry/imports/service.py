"""Use cases of bulk imports: read the file, check every row, import the valid ones set-based. Never commits.

Every row is checked by the rules of the single-record API (``PersonCreate`` and the national-ID rule for
persons, the household and application rules), and the database sees a handful of set-based statements
per import, whatever its size. What a re-import finds already registered is counted as a duplicate, not
an error:

* a person with the same national ID, or — without national ID — with the same name (without diacritics),
  date of birth and commune;
* a household with the same code (mã hộ);
* an application of the same person for the same categories still waiting for a decision.

Imports of one kind run one at a time (a transaction-scoped advisory lock), so two uploads of the same file
never both import a row; national IDs and household codes are also guarded by unique constraints against
the single-record API.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common import clock, gcpause, tabular
from common.areas import sees
from common.auth import Principal
from common.errors import Conflict, NotFound, ValidationFailed
from common.ids import uuid7, uuid7_many
from common.pagination import keyset, page_of

from ..beneficiaries import repository as beneficiaries_repository
from ..beneficiaries import service as beneficiaries_service
from ..duplicates import flagging as duplicates
from ..events import (
    EVENTS,
    HOUSEHOLD_MEMBER_JOINED,
    HOUSEHOLD_POVERTY_STATUS_CHANGED,
    PERSON_REGISTERED,
    HouseholdMemberJoined,
    HouseholdPovertyStatusChanged,
)
from ..households import service as households_service
from ..models import ImportRecord
from ..persons import service as persons_service
from ..persons.repository import Commune
from ..persons.schemas import PersonCreate, accept_new_person
from ..rules import imports as rules
from ..rules.imports import CellError, Header, RowProblem
from ..rules.months import Month
from ..rules.names import name_key, normalise_name
from ..rules.national_id import PROVINCE_CODES, validate_national_id
from ..rules.parameters import RESIDENTIAL
from ..rules.person import Sex
from ..schedules import service as schedules_service
from ..study import repository as study_repository
from ..study import service as study_service
from ..study.schemas import StudyPeriodIn
from . import repository
from .exceptions import ImportConflict, ImportHeader

MAX_BYTES = 32 * 1024 * 1024
"""Largest file accepted (413 above)."""
MAX_ROWS = 100_000
"""Most data rows in one file (413 above): a larger file takes longer than the gateway waits for an answer."""
PROBLEMS_KEPT = 1000
"""Problems listed in an import's record; ``problems_total`` counts them all."""
CHUNK = 10_000
"""Rows per insert statement."""
YIELD_ROWS = 200
"""A persons import yields to the event loop every so many rows it reads and checks (~4 ms)."""
FIRST_CHUNK = 2_000
"""Rows of a persons import's first insert: the database starts on it after 2,000 rows are checked, not 10,000. Each
later chunk is twice the one before, up to ``CHUNK``, and is checked while the one before is inserted: Python checks a
row in about half the time the database takes to insert it, so the database is kept busy from the first chunk on."""

Rows = Iterable[tuple[int, list[rules.Cell]]]
"""The file's data rows as they are read: (line, cells)."""


def location(import_id: uuid.UUID) -> str:
    return f"/registry/imports/{import_id}"


@dataclass
class Outcome:
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    possible_duplicates: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    rejected_lines: set[int] = field(default_factory=set)

    def reject(self, *problems: RowProblem) -> None:
        self.problems.extend(problems)
        self.rejected_lines.update(p.line for p in problems)


# --- reading cells ------------------------------------------------------------------------------------------

Parser = Callable[[rules.Cell], Any]


def _code(width: int) -> Parser:
    return lambda cell: rules.code(cell, width)


def _cells(
    line: int, header: Header, cells: list[rules.Cell], parsers: dict[str, Parser], problems: list[RowProblem]
) -> tuple[dict[str, Any], set[str]]:
    """The row's non-empty values by field, and the fields whose cells could not be read (each a problem)."""
    values: dict[str, Any] = {}
    bad: set[str] = set()
    if extra := header.extra_cells(cells):
        problems.append(RowProblem(line, None, None, f"{extra} filled cell(s) to the right of the last column"))
    for name, cell in header.values(cells).items():
        try:
            value = parsers[name](cell)
        except CellError as exc:
            problems.append(RowProblem(line, header.column(name), name, str(exc)))
            bad.add(name)
            continue
        if value is not None and value != []:
            values[name] = value
    return values, bad


def _required(
    line: int, header: Header, values: dict[str, Any], bad: set[str], names: Sequence[str]
) -> list[RowProblem]:
    return [
        RowProblem(line, header.column(n), n, "required; the cell is empty")
        for n in names
        if n not in values and n not in bad
    ]


def _national_id_format(line: int, header: Header, value: str) -> list[RowProblem]:
    return [
        RowProblem(line, header.column("national_id"), "national_id", p.reason, p.code)
        for p in validate_national_id(value)
    ]


def _area_problem(
    line: int,
    header: Header,
    code: str,
    communes: dict[str, Commune],
    successors: dict[str, list[str]],
    principal: Principal,
) -> RowProblem | None:
    """The same rule as :func:`..persons.service.place_in_area`, for one row."""
    commune = communes.get(code)
    column = header.column("commune_code")
    if commune is None:
        hint = f"; it became {', '.join(successors[code])}" if successors.get(code) else ""
        return RowProblem(
            line, column, "commune_code", f"unknown commune {code!r} (not a commune in force today{hint})"
        )
    if not principal.may_see_area(code, commune.district_code, commune.province_code):
        return RowProblem(line, column, "commune_code", f"commune {code} is outside the areas of this client")
    return None


async def _places(session: AsyncSession, codes: set[str]) -> tuple[dict[str, Commune], dict[str, list[str]]]:
    communes = await repository.communes_in_force(session, codes, clock.today())
    return communes, await repository.successors(session, codes - communes.keys())


def _person_outside(principal: Principal, ref: repository.PersonRef | None) -> bool:
    return ref is None or not sees(principal, ref)


# --- persons --------------------------------------------------------------------------------------------------

_PERSON_CELLS: dict[str, Parser] = {
    "full_name": rules.text,
    "date_of_birth": rules.parse_date,
    "sex": rules.sex,
    "national_id": _code(12),
    "commune_code": _code(5),
    "address_line": rules.text,
    "phone": rules.text,
    "ethnicity": rules.text,
    "disability_level": rules.disability_level,
    "disability_certified_on": rules.parse_date,
}


def _person(
    line: int, header: Header, cells: list[rules.Cell], today: date
) -> tuple[dict[str, Any] | None, list[RowProblem]]:
    """The row as ``POST /persons`` would take it (``PersonCreate``'s fields), or every problem it has.

    Most rows are valid: :func:`..persons.schemas.accept_new_person` takes those without a model; a row it is not
    sure of goes through ``PersonCreate`` and the national-ID rule, which word its problems."""
    problems: list[RowProblem] = []
    values, bad = _cells(line, header, cells, _PERSON_CELLS, problems)
    if not problems and (fast := accept_new_person(values, today, PROVINCE_CODES)) is not None:
        return fast, problems
    try:
        body = PersonCreate.model_validate(values)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else None
            if name in bad:
                continue
            reason = (
                "required; the cell is empty" if err["type"] == "missing" else err["msg"].removeprefix("Value error, ")
            )
            problems.append(RowProblem(line, header.column(name) if name else None, name, reason))
        return None, problems
    if body.national_id is not None:
        problems += [
            RowProblem(line, header.column("national_id"), "national_id", p.reason, p.code)
            for p in validate_national_id(body.national_id, body.date_of_birth, Sex(body.sex))
        ]
    return (None if problems else body.model_dump(exclude={"hiv_status"})), problems


async def _persons(
    session: AsyncSession, principal: Principal, header: Header, rows: Rows, import_id: uuid.UUID
) -> Outcome:
    """Chunk by chunk, the database inserting one chunk while Python checks the next (a pipeline of two stages: on
    two cores each waited for the other before). The session runs one statement at a time: the chunk in flight is
    awaited before any other statement (a commune lookup, the next chunk's insert)."""
    out = Outcome()
    communes: dict[str, Commune] = {}
    successors: dict[str, list[str]] = {}
    looked_up: set[str] = set()
    first_line: dict[Any, int] = {}
    # Envelopes built by PostgreSQL in the insert statement; each inserted person is a new subject (its id made here)
    # with one event: number 1, no lookup of earlier numbers.
    announce = partial(EVENTS.publish_sql, PERSON_REGISTERED, new_subjects=True)
    written: set[uuid.UUID] = set()
    paired: set[uuid.UUID] = set()
    in_flight: asyncio.Task[None] | None = None

    async def write(chunk: persons_service.NewPersons) -> None:
        # The same statement flags the pairs among this chunk and everything inserted before it (a later chunk pairs
        # with this one in its turn).
        inserted = await persons_service.register_many(
            session,
            chunk,
            by=principal.client_id,
            reason=f"import {import_id}",
            announce=announce,
            flag=duplicates.flag_new_sql,
        )
        out.imported += inserted.count
        paired.update(inserted.paired)

    async def landed() -> None:
        nonlocal in_flight
        if in_flight is not None:
            task, in_flight = in_flight, None
            await task

    today = clock.today()
    key_of = _name_keys()
    try:
        reading = iter(rows)
        size = FIRST_CHUNK
        # The file is read chunk by chunk too: the first insert waits only for the first chunk's reading and checks.
        while True:
            valid: list[tuple[int, dict[str, Any]]] = []
            read = 0
            # Rows are read as they are checked, and the loop yields every YIELD_ROWS rows: the chunk in flight needs
            # the event loop for each step of its statements (send, answer, the next statement).
            for read, (line, cells) in enumerate(itertools.islice(reading, size), start=1):
                body, problems = _person(line, header, cells, today)
                if body is None:
                    out.reject(*problems)
                else:
                    valid.append((line, body))
                if read % YIELD_ROWS == 0:
                    await asyncio.sleep(0)
            if not read:
                break
            size = min(2 * size, CHUNK)
            out.rows += read
            unknown = {b["commune_code"] for _, b in valid} - looked_up
            if unknown:  # the first chunk, and rarely another: a file names a few dozen communes
                await landed()
                found, hints = await _places(session, unknown)
                communes.update(found)
                successors.update(hints)
                looked_up |= unknown
            new: list[persons_service.NewPerson] = []
            ids = uuid7_many(len(valid))
            for (line, b), person_id in zip(valid, ids, strict=True):
                code = b["commune_code"]
                if problem := _area_problem(line, header, code, communes, successors, principal):
                    out.reject(problem)
                    continue
                key_name = key_of(b["full_name"])
                national_id = b["national_id"]
                unnamed = (key_name, b["date_of_birth"], code)
                key: Any = national_id or unnamed
                if key in first_line:
                    what = "national ID" if national_id else "name, date of birth and commune (no national ID)"
                    out.reject(
                        RowProblem(
                            line,
                            header.column("national_id") if national_id else None,
                            "national_id" if national_id else None,
                            f"the same person as line {first_line[key]} (same {what})",
                        )
                    )
                    continue
                first_line[key] = line
                if national_id:
                    # A later row without national ID is this person too (as it would be once this one is registered):
                    # decided here, not by where the chunks happen to split the file.
                    first_line.setdefault(unnamed, line)
                commune = communes[code]
                new.append(
                    persons_service.NewPerson(
                        id=person_id,
                        name_key=key_name,
                        district_code=commune.district_code,
                        province_code=commune.province_code,
                        **b,
                    )
                )
            if new:
                batch = persons_service.new_persons(new)  # made before the chunk in flight has landed
                await landed()
                written.update(batch.ids)
                in_flight = asyncio.create_task(write(batch))
                await asyncio.sleep(0)  # send it before checking the next chunk
        await landed()
    finally:
        if in_flight is not None:  # a check failed while a chunk was in flight: let it end before the rollback
            with contextlib.suppress(Exception):
                await in_flight
    out.duplicates = len(written) - out.imported
    # The imported records in a pair: every pair of a new record was flagged by this import's statements.
    out.possible_duplicates = len(paired & written)
    return out


def _name_keys() -> Callable[[str], str]:
    """:func:`..rules.names.name_key` of stored (normalised: single-spaced) names, word by word with a memo: a file
    repeats a few hundred surnames, middle and given names (the same key, a test compares them)."""
    memo: dict[str, str] = {}

    def key(name: str) -> str:
        parts = []
        for word in name.split(" "):
            folded = memo.get(word)
            if folded is None:
                folded = memo[word] = name_key(word)
            if folded:
                parts.append(folded)
        return " ".join(parts)

    return key


async def _flag(session: AsyncSession, principal: Principal, person_ids: list[uuid.UUID]) -> int:
    """Flag the possible duplicates among the imported records and the registry (see the duplicates feature):
    the rows are imported all the same; returns how many of ``person_ids`` are in an open pair."""
    flagged = 0
    for start in range(0, len(person_ids), CHUNK):
        chunk = person_ids[start : start + CHUNK]
        await duplicates.flag(session, chunk, principal.client_id)
        flagged += len(await duplicates.open_partners(session, chunk))
    return flagged


# --- households -----------------------------------------------------------------------------------------------

_HOUSEHOLD_CELLS: dict[str, Parser] = {
    "household_code": rules.line,
    "commune_code": _code(5),
    "address_line": rules.line,
    "national_id": _code(12),
    "relationship": rules.relationship,
    "joined_on": rules.parse_date,
    "poverty_status": rules.poverty_status,
    "poverty_valid_from": rules.parse_date,
    "poverty_document": rules.line,
}
_POVERTY = ("poverty_status", "poverty_valid_from", "poverty_document")


def _member_row(line: int, header: Header, cells: list[rules.Cell]) -> tuple[dict[str, Any], list[RowProblem]]:
    problems: list[RowProblem] = []
    values, bad = _cells(line, header, cells, _HOUSEHOLD_CELLS, problems)
    problems += _required(line, header, values, bad, ("household_code", "commune_code", "national_id", "relationship"))
    if len(values.get("household_code", "")) > 50:
        problems.append(RowProblem(line, header.column("household_code"), "household_code", "at most 50 characters"))
    if "national_id" in values:
        problems += _national_id_format(line, header, values["national_id"])
    for name, limit in (("address_line", 300), ("poverty_document", 300)):
        if name in values:
            values[name] = normalise_name(values[name])
            if len(values[name]) > limit:
                problems.append(RowProblem(line, header.column(name), name, f"at most {limit} characters"))
    given = [n for n in _POVERTY if n in values or n in bad]
    if given:
        problems += [
            RowProblem(line, header.column(n), n, "required with a poverty status; the cell is empty")
            for n in _POVERTY
            if n not in given
        ]
    return values, problems


def _household_snapshot(h: households_service.NewHousehold) -> str:
    # The same shape as the change record of POST /households.
    out: dict[str, Any] = {
        "code": h.code,
        "commune_code": h.commune_code,
        "district_code": h.district_code,
        "province_code": h.province_code,
        "address_line": h.address_line,
        "members": [{"person_id": str(p), "relationship": r} for p, r, _ in h.members],
    }
    if h.poverty is not None:
        out["poverty"] = {"status": h.poverty[0], "valid_from": h.poverty[1].isoformat(), "document": h.poverty[2]}
    return json.dumps(out, ensure_ascii=False)


async def _households(
    session: AsyncSession, principal: Principal, header: Header, rows: Rows, import_id: uuid.UUID
) -> Outcome:
    """One row per member; the rows sharing a household code are one household, imported whole or not at all."""
    table = list(rows)
    out = Outcome(rows=len(table))
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    problems: dict[int, list[RowProblem]] = {}
    for line, cells in table:
        values, found = _member_row(line, header, cells)
        problems[line] = found
        # A row without a code belongs to no household: it is rejected alone.
        groups.setdefault(values.get("household_code") or f"\0{line}", []).append((line, values))
    nids = {v["national_id"] for g in groups.values() for _, v in g if "national_id" in v}
    persons = await repository.persons_by_national_id(session, nids)
    communes, successors = await _places(
        session, {v["commune_code"] for g in groups.values() for _, v in g if "commune_code" in v}
    )
    member_of: dict[uuid.UUID, tuple[str, int]] = {}
    candidates: list[tuple[str, list[int], households_service.NewHousehold]] = []
    for code, members in groups.items():
        first_line, first = members[0]
        heads = [line for line, v in members if v.get("relationship") == "head"]
        if not heads and not any(problems[line] for line, _ in members):
            problems[first_line].append(
                RowProblem(
                    first_line,
                    header.column("relationship"),
                    "relationship",
                    f"household {code} has no head (relationship 'head' / 'Chủ hộ')",
                )
            )
        for line in heads[1:]:
            problems[line].append(
                RowProblem(
                    line,
                    header.column("relationship"),
                    "relationship",
                    f"household {code} already has a head on line {heads[0]}",
                )
            )
        shared: dict[str, Any] = {
            n: next((v[n] for _, v in members if n in v), None) for n in ("address_line", *_POVERTY)
        }
        for line, v in members:
            if v.get("commune_code") and first.get("commune_code") and v["commune_code"] != first["commune_code"]:
                problems[line].append(
                    RowProblem(
                        line,
                        header.column("commune_code"),
                        "commune_code",
                        f"differs from line {first_line} of household {code}",
                    )
                )
            for n, value in shared.items():
                if n in v and v[n] != value:
                    problems[line].append(
                        RowProblem(line, header.column(n), n, f"differs from an earlier row of household {code}")
                    )
            ref = persons.get(v.get("national_id", ""))
            if "national_id" in v and not problems[line] and _person_outside(principal, ref):
                problems[line].append(
                    RowProblem(
                        line,
                        header.column("national_id"),
                        "national_id",
                        f"no registered person with national ID {v['national_id']} within the areas of this client "
                        "(import or register the person first)",
                    )
                )
            elif ref is not None and not problems[line]:
                if ref.id in member_of:
                    other, other_line = member_of[ref.id]
                    problems[line].append(
                        RowProblem(
                            line,
                            header.column("national_id"),
                            "national_id",
                            f"the same person as line {other_line}"
                            + (f" (household {other})" if other != code else ""),
                        )
                    )
                else:
                    member_of[ref.id] = (code, line)
        if first.get("commune_code") and not problems[first_line]:
            if problem := _area_problem(first_line, header, first["commune_code"], communes, successors, principal):
                problems[first_line].append(problem)
        lines = [line for line, _ in members]
        faulty = [line for line in lines if problems[line]]
        if faulty:
            for line in lines:
                out.reject(
                    *(
                        problems[line]
                        or [
                            RowProblem(
                                line,
                                header.column("household_code"),
                                "household_code",
                                f"not imported: household {code} has problems on line(s) {', '.join(map(str, faulty))}",
                            )
                        ]
                    )
                )
            continue
        commune = communes[first["commune_code"]]
        poverty: tuple[str, date, str] | None = None
        if shared["poverty_status"] is not None:  # the row checks made the other two present
            poverty = (shared["poverty_status"], shared["poverty_valid_from"], shared["poverty_document"])
        candidates.append(
            (
                code,
                lines,
                households_service.NewHousehold(
                    id=uuid7(),
                    code=code,
                    commune_code=commune.code,
                    district_code=commune.district_code,
                    province_code=commune.province_code,
                    address_line=shared["address_line"] or "",
                    members=tuple(
                        (persons[v["national_id"]].id, v["relationship"], v.get("joined_on") or clock.today())
                        for _, v in members
                    ),
                    poverty=poverty,
                    snapshot="",
                ),
            )
        )

    existing = await repository.existing_household_codes(session, {c for c, _, _ in candidates})
    taken = await repository.in_a_household(
        session, [p for c, _, h in candidates if c not in existing for p, _, _ in h.members]
    )
    new: list[households_service.NewHousehold] = []
    lines_of: dict[uuid.UUID, list[int]] = {}
    for code, lines, h in candidates:
        if code in existing:
            out.duplicates += len(lines)
            continue
        busy = [(line, p) for line, (p, _, _) in zip(lines, h.members, strict=True) if p in taken]
        if busy:
            for line in lines:
                if any(line == b for b, _ in busy):
                    out.reject(
                        RowProblem(
                            line,
                            header.column("national_id"),
                            "national_id",
                            "the person is already a member of another household",
                        )
                    )
                else:
                    out.reject(
                        RowProblem(
                            line,
                            header.column("household_code"),
                            "household_code",
                            f"not imported: household {code} has problems on line(s) "
                            f"{', '.join(str(b) for b, _ in busy)}",
                        )
                    )
            continue
        h = replace(h, snapshot=_household_snapshot(h))
        new.append(h)
        lines_of[h.id] = lines
    try:
        inserted = await households_service.create_many(
            session, new, by=principal.client_id, today=clock.today(), reason=f"import {import_id}"
        )
    except IntegrityError as exc:  # a person was placed in a household meanwhile through the API
        raise ImportConflict("a member was placed in a household while the import ran; import the file again") from exc
    for h in new:
        if h.id in inserted:
            out.imported += len(lines_of[h.id])
        else:  # a concurrent writer took the code
            out.duplicates += len(lines_of[h.id])
    await EVENTS.publish_many(
        session,
        HOUSEHOLD_POVERTY_STATUS_CHANGED,
        [
            (
                str(h.id),
                HouseholdPovertyStatusChanged(
                    household_id=h.id,
                    status=h.poverty[0],
                    valid_from=h.poverty[1],
                    document=h.poverty[2],
                    commune_code=h.commune_code,
                    district_code=h.district_code,
                    province_code=h.province_code,
                ),
            )
            for h in new
            if h.id in inserted and h.poverty is not None
        ],
    )
    await EVENTS.publish_many(
        session,
        HOUSEHOLD_MEMBER_JOINED,
        [
            (
                str(h.id),
                HouseholdMemberJoined(
                    household_id=h.id,
                    person_id=person_id,
                    joined_on=joined_on,
                    commune_code=h.commune_code,
                    district_code=h.district_code,
                    province_code=h.province_code,
                ),
            )
            for h in new
            if h.id in inserted
            for person_id, _, joined_on in h.members
        ],
    )
    out.possible_duplicates = await _flag(
        session, principal, [p for h in new if h.id in inserted for p, _, _ in h.members]
    )
    return out


# --- applications ---------------------------------------------------------------------------------------------

_APPLICATION_CELLS: dict[str, Parser] = {"national_id": _code(12), "categories": rules.categories, "note": rules.prose}


async def _applications(
    session: AsyncSession, principal: Principal, header: Header, rows: Rows, import_id: uuid.UUID
) -> Outcome:
    table = list(rows)
    out = Outcome(rows=len(table))
    known = await beneficiaries_repository.category_codes(session) - {RESIDENTIAL}
    parsed: list[tuple[int, dict[str, Any]]] = []
    for line, cells in table:
        problems: list[RowProblem] = []
        values, bad = _cells(line, header, cells, _APPLICATION_CELLS, problems)
        problems += _required(line, header, values, bad, ("national_id", "categories"))
        if "national_id" in values:
            problems += _national_id_format(line, header, values["national_id"])
        categories = values.get("categories", [])
        column = header.column("categories")
        problems += [
            RowProblem(line, column, "categories", f"unknown category {c!r}; known: {', '.join(sorted(known))}")
            for c in categories
            if c not in known
        ]
        if len(set(categories)) != len(categories):
            problems.append(RowProblem(line, column, "categories", "a category is listed twice"))
        if len(categories) > 10:
            problems.append(RowProblem(line, column, "categories", "at most 10 categories"))
        if len(values.get("note", "")) > 2000:
            problems.append(RowProblem(line, header.column("note"), "note", "at most 2000 characters"))
        if problems:
            out.reject(*problems)
        else:
            parsed.append((line, values))
    persons = await repository.persons_by_national_id(session, {v["national_id"] for _, v in parsed})
    pending = await repository.pending_applications(session, {p.id for p in persons.values()})
    first_line: dict[tuple[uuid.UUID, tuple[str, ...]], int] = {}
    new: list[beneficiaries_service.NewApplication] = []
    for line, v in parsed:
        ref = persons.get(v["national_id"])
        if ref is None or _person_outside(principal, ref):
            out.reject(
                RowProblem(
                    line,
                    header.column("national_id"),
                    "national_id",
                    f"no registered person with national ID {v['national_id']} within the areas of "
                    "this client (import or register the person first)",
                )
            )
            continue
        key = (ref.id, tuple(sorted(v["categories"])))
        if key in first_line:
            out.reject(RowProblem(line, None, None, f"the same application as line {first_line[key]}"))
            continue
        first_line[key] = line
        if key in pending:
            out.duplicates += 1
            continue
        app_id = uuid.uuid4()
        after = {"person_id": str(ref.id), "categories": v["categories"], "status": "submitted"}
        new.append(
            beneficiaries_service.NewApplication(
                app_id, ref.id, v["categories"], v.get("note", ""), json.dumps(after, ensure_ascii=False)
            )
        )
    for start in range(0, len(new), CHUNK):
        await beneficiaries_service.submit_many(session, new[start : start + CHUNK], by=principal.client_id)
    out.imported = len(new)
    return out


# --- the import -----------------------------------------------------------------------------------------------

_STUDY_CELLS: dict[str, Parser] = {
    "national_id": _code(12),
    "study_kind": rules.study_kind,
    "from": rules.month,
    "to": rules.month,
    "institution": rules.line,
    "document": rules.line,
}


async def _study_periods(
    session: AsyncSession, principal: Principal, header: Header, rows: Rows, import_id: uuid.UUID
) -> Outcome:
    """Study periods row by row through the single-record rules (:func:`..study.service.record`: no overlap, not
    before birth or after death, not starting after the current month); the schedules of everyone concerned are
    refreshed once at the end. The same period already recorded (person, kind, from, to) is a duplicate."""
    table = list(rows)
    out = Outcome(rows=len(table))
    parsed: list[tuple[int, dict[str, Any]]] = []
    for line, cells in table:
        problems: list[RowProblem] = []
        values, bad = _cells(line, header, cells, _STUDY_CELLS, problems)
        problems += _required(line, header, values, bad, ("national_id", "study_kind", "from", "document"))
        if "national_id" in values:
            problems += _national_id_format(line, header, values["national_id"])
        if problems:
            out.reject(*problems)
        else:
            parsed.append((line, values))
    persons = await repository.persons_by_national_id(session, {v["national_id"] for _, v in parsed})
    existing = await study_repository.of_persons(session, {p.id for p in persons.values()})
    recorded = {(pid, s.kind, s.from_month, s.to_month) for pid, found in existing.items() for s in found}
    touched: set[uuid.UUID] = set()
    for line, v in parsed:
        ref = persons.get(v["national_id"])
        if ref is None or _person_outside(principal, ref):
            out.reject(
                RowProblem(
                    line,
                    header.column("national_id"),
                    "national_id",
                    f"no registered person with national ID {v['national_id']} within the areas of "
                    "this client (import or register the person first)",
                )
            )
            continue
        start, end = Month(*v["from"]), Month(*v["to"]) if "to" in v else None
        key = (ref.id, v["study_kind"], start.first_day(), end.first_day() if end else None)
        if key in recorded:
            out.duplicates += 1
            continue
        try:
            body = StudyPeriodIn.model_validate(
                {
                    "kind": v["study_kind"],
                    "from": str(start),
                    "to": str(end) if end else None,
                    "institution": v.get("institution", ""),
                    "document": v["document"],
                }
            )
            await study_service.record(session, principal, ref.id, body, refresh=False)
        except ValidationError as exc:
            out.reject(*(RowProblem(line, None, None, str(e["msg"])) for e in exc.errors()))
            continue
        except (ValidationFailed, Conflict, NotFound) as exc:
            reasons = [e["reason"] for e in exc.extensions.get("errors", [])] or [exc.detail or exc.title]
            out.reject(*(RowProblem(line, None, None, str(r)) for r in reasons))
            continue
        recorded.add(key)
        touched.add(ref.id)
        out.imported += 1
    await schedules_service.refresh_person(session, *sorted(touched))
    return out


Importer = Callable[[AsyncSession, Principal, Header, Rows, uuid.UUID], Awaitable[Outcome]]
IMPORTERS: dict[str, Importer] = {
    "persons": _persons,
    "households": _households,
    "applications": _applications,
    "study_periods": _study_periods,
}


def _header_failed(kind: str, problems: Sequence[rules.HeaderProblem]) -> ValidationFailed:
    unknown = [p.column for p in problems if p.reason.startswith("unknown")]
    missing = [p.column for p in problems if p.reason.startswith("required")]
    parts = ([f"unknown column(s) {', '.join(map(repr, unknown))}"] if unknown else []) + (
        [f"missing column(s) {', '.join(map(repr, missing))}"] if missing else []
    )
    other = [p for p in problems if p.column not in unknown + missing]
    parts += [f"{p.column!r}: {p.reason}" for p in other]
    return ImportHeader(
        [{"field": "header", "column": p.column, "reason": p.reason} for p in problems],
        detail=f"the header row does not fit a {kind} import: {'; '.join(parts)}",
    )


async def run(
    session: AsyncSession, principal: Principal, kind: str, body: bytes, content_type: str | None
) -> ImportRecord:
    """Import ``body`` (a CSV or XLSX file of ``kind`` rows) and return its record."""
    sheet = tabular.open_sheet(body, content_type, MAX_ROWS)
    header, header_problems = rules.match_header(kind, sheet.header)
    if header_problems:
        raise _header_failed(kind, header_problems)
    # The rows make no reference cycles; the collector's passes over them were a quarter of the import's CPU.
    with gcpause.paused():
        reading = iter(sheet.rows)
        first = next(reading, None)
        if first is None:
            raise ValidationFailed([{"field": "body", "reason": "the file has a header but no data rows"}])
        # Rows are read as the import goes (a persons import checks and inserts its first chunk while the rest of the
        # file is still unread); a file found faulty further on (too many rows, broken CSV) fails the whole import.
        rows = itertools.chain([first], reading)
        import_id = uuid.uuid4()
        await repository.lock(session, kind)
        await repository.plan_each_statement(session)
        out = await IMPORTERS[kind](session, principal, header, rows, import_id)
    problems = sorted(out.problems, key=lambda p: p.line)
    record = ImportRecord(
        id=import_id,
        kind=kind,
        format=sheet.format,
        file_sha256=hashlib.sha256(body).hexdigest(),
        rows=out.rows,
        imported=out.imported,
        duplicates=out.duplicates,
        rejected=len(out.rejected_lines),
        possible_duplicates=out.possible_duplicates,
        problems=[p.as_dict() for p in problems[:PROBLEMS_KEPT]],
        problems_total=len(problems),
        created_at=datetime.now(UTC),
        created_by=principal.client_id,
    )
    repository.add(session, record)
    await session.flush()
    return record


def _sees_all(principal: Principal) -> bool:
    return "admin" in principal.scopes


async def get(session: AsyncSession, principal: Principal, import_id: uuid.UUID) -> ImportRecord:
    """An import of the calling client (any client's for ``admin``); 404 otherwise."""
    record = await repository.get(session, import_id)
    if record is None or (record.created_by != principal.client_id and not _sees_all(principal)):
        raise NotFound(f"no import {import_id}")
    return record


async def page(
    session: AsyncSession, principal: Principal, cursor: str | None, limit: int
) -> tuple[list[ImportRecord], str | None]:
    after = keyset(cursor, datetime.fromisoformat, uuid.UUID)
    rows = await repository.page(
        session, created_by=None if _sees_all(principal) else principal.client_id, after=after, limit=limit + 1
    )
    return page_of(rows, limit, lambda i: [i.created_at.isoformat(), str(i.id)])
