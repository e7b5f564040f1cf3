"""List files: streamed downloads (CSV, XLSX with Vietnamese headers, through ``common.tabular`` and its formula
escaping) and uploads of the same files with BHXH's results filled in.

Downloads read the list in keyset chunks of :data:`CHUNK` items in a session of their own (the response is sent
after the request's session ended) and fetch each chunk's identity fields from the registry (1,000 ids a call, a
few calls at a time), the next chunk's while the current one is written: at most two chunks are held in memory,
and nothing personal is stored."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common import tabular
from common.errors import PayloadTooLarge
from common.tabular import CellError, FileProblems, RowProblem

from ..models import ExchangeList
from ..rules import exchange_file as spec
from . import repository
from .identities import Identities
from .schemas import ResultIn
from .service import PURPOSE

CHUNK = 4000
MAX_ROWS = 200_000
MAX_ANSWERS = 10_000
"""Answered rows a file may hold, as a request by API (``ResultsIn``): a larger one would outlast the gateway's
30 s, leaving BHXH unsure whether it was recorded."""
HEADERS = list(spec.DOWNLOAD) + list(spec.RESULT_HEADERS)


def _dmy(day: date | str | None) -> str:
    """dd/mm/yyyy, as BHXH's forms write dates (string slicing: strftime was a quarter of a download's CPU)."""
    if day is None or day == "":
        return ""
    if isinstance(day, str):  # ISO, from the registry's JSON
        return f"{day[8:10]}/{day[5:7]}/{day[:4]}"
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


async def _chunks(
    sessionmaker: async_sessionmaker[AsyncSession],
    exchange_list: ExchangeList,
    identities: Identities,
    read: Callable[[AsyncSession, uuid.UUID | None], Awaitable[list[Any]]],
) -> AsyncIterator[tuple[list[Any], dict[str, dict[str, Any]]]]:
    """The list in chunks of :data:`CHUNK` rows (``read(session, after)``: rows whose ``[0]`` is the item id and
    ``.person_id``/``[1]`` the person), each with its persons' identities; the next chunk is read, and its identities
    fetched, while the current one is written."""
    purpose = PURPOSE.format(period=exchange_list.period)

    def fetch(chunk: list[Any]) -> asyncio.Task[dict[str, dict[str, Any]]]:
        return asyncio.ensure_future(identities.fetch([r[1] for r in chunk], purpose))

    async with sessionmaker() as session:
        chunk = await read(session, None)
        pending = fetch(chunk) if chunk else None
        try:
            while chunk and pending is not None:
                following = await read(session, chunk[-1][0]) if len(chunk) == CHUNK else []
                found = await pending
                pending = fetch(following) if following else None  # read while this chunk is written
                yield chunk, found
                chunk = following
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending


async def csv_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
    exchange_list: ExchangeList,
    areas: Any,
    action: str | None,
    identities: Identities,
) -> AsyncIterator[list[Sequence[Any]]]:
    """The CSV's rows, every text cell already formula-safe (``tabular.csv_stream(..., escaped=True)``): the list's
    own cells come made by PostgreSQL (:func:`.repository.csv_rows`), so the per-row Python is the identity cells."""
    safe, sex_label = tabular.safe_cell, spec.SEX_LABELS
    n = 0

    def read(session: AsyncSession, after: uuid.UUID | None) -> Awaitable[list[Any]]:
        return repository.csv_rows(session, exchange_list.id, areas, action, after, CHUNK)

    async for chunk, found in _chunks(sessionmaker, exchange_list, identities, read):
        out: list[Sequence[Any]] = []
        for r in chunk:
            n += 1
            i = found.get(r[1])
            if i is None:
                out.append((n, r[1], None, "", "", None, None, None, *r[2:]))
                continue
            born = i.get("date_of_birth") or ""
            out.append(
                (
                    n,
                    r[1],
                    safe(i.get("full_name")),
                    f"{born[8:10]}/{born[5:7]}/{born[:4]}" if born else "",
                    sex_label.get(i.get("sex") or "", ""),
                    safe(i.get("national_id")),
                    safe(i.get("address_line")),
                    safe(i.get("household_code")),
                    *r[2:],
                )
            )
        yield out


async def rows(
    sessionmaker: async_sessionmaker[AsyncSession],
    exchange_list: ExchangeList,
    areas: Any,
    action: str | None,
    identities: Identities,
    *,
    typed: bool,
) -> AsyncIterator[list[list[Any]]]:
    """The list file's rows as values (dates as ``date`` when ``typed``: XLSX), for ``tabular``'s writers to make
    safe."""
    day = (lambda d: date.fromisoformat(d) if isinstance(d, str) else d) if typed else _dmy
    n = 0

    def read(session: AsyncSession, after: uuid.UUID | None) -> Awaitable[list[Any]]:
        return repository.item_rows(session, exchange_list.id, areas, action, after, CHUNK)

    async for chunk, found in _chunks(sessionmaker, exchange_list, identities, read):
        out = []
        for r in chunk:
            n += 1
            i = found.get(str(r.person_id)) or {}
            out.append(
                [
                    n,
                    str(r.person_id),
                    i.get("full_name"),
                    day(i.get("date_of_birth")),
                    spec.SEX_LABELS.get(i.get("sex") or "", ""),
                    i.get("national_id"),
                    i.get("address_line"),
                    i.get("household_code"),
                    r.commune_code,
                    r.district_code,
                    spec.ACTION_LABELS[r.action],
                    r.group_code,
                    r.benefit_level,
                    day(r.valid_from),
                    day(r.valid_to),
                    r.current_card,
                    spec.OUTCOME_LABELS.get(r.result or "", ""),
                    r.issued_code,
                    day(r.issued_from),
                    day(r.issued_to),
                    r.result_reason or None,
                ]
            )
        yield out


# --- uploads -----------------------------------------------------------------------------------------------


def read_results(body: bytes, content_type: str | None) -> list[ResultIn]:
    """The results filled in a list file; rows whose `Kết quả` is empty are not answered yet and skipped. Any problem
    (header, cell, a person twice) raises 422 listing every problem: nothing is applied."""
    sheet = tabular.open_sheet(body, content_type, MAX_ROWS)
    header, header_problems = tabular.match_header(
        "results", spec.RESULT_COLUMNS, sheet.header, ignored=spec.INFORMATIONAL
    )
    if header_problems:
        raise FileProblems([RowProblem(1, p.column, None, p.reason) for p in header_problems])
    readers = {
        "person_id": tabular.text,
        "outcome": spec.outcome,
        "card_code": tabular.text,
        "valid_from": tabular.parse_date,
        "valid_to": tabular.parse_date,
        "reason": tabular.text,
    }
    problems: list[RowProblem] = []
    out: list[ResultIn] = []
    seen: dict[uuid.UUID, int] = {}
    answered = 0
    for line, cells in sheet.rows:
        values = header.values(cells)
        found: dict[str, Any] = {}
        before = len(problems)
        for name, read in readers.items():
            try:
                found[name] = read(values.get(name))
            except CellError as exc:
                problems.append(RowProblem(line, header.column(name), name, str(exc)))
        if found.get("outcome") is not None:
            answered += 1
            if answered > MAX_ANSWERS:
                raise PayloadTooLarge(
                    f"the file answers more than {MAX_ANSWERS} persons; send the answers in files of at most "
                    f"{MAX_ANSWERS} answered rows (rows with an empty Kết quả do not count)",
                    max_answers=MAX_ANSWERS,
                )
        if len(problems) > before or found.get("outcome") is None:
            continue
        try:
            person = uuid.UUID(found["person_id"] or "")
        except ValueError:
            problems.append(RowProblem(line, header.column("person_id"), "person_id", "not a person id of the list"))
            continue
        if person in seen:
            problems.append(
                RowProblem(line, header.column("person_id"), "person_id", f"the same person as on line {seen[person]}")
            )
            continue
        seen[person] = line
        try:
            out.append(ResultIn.model_validate({**found, "person_id": person}))
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else None
                problems.append(
                    RowProblem(
                        line, header.column(field) if field else None, field, err["msg"].removeprefix("Value error, ")
                    )
                )
    if problems:
        raise FileProblems(problems)
    return out
