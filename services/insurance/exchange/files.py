"""List files: streamed downloads (CSV, XLSX with Vietnamese headers, through ``common.tabular`` and its formula
escaping) and uploads of the same files with BHXH's results filled in.

Downloads read the list in keyset chunks of :data:`CHUNK` items in a session of their own (the response is sent
after the request's session ended) and fetch each chunk's identity fields from the registry: at most a chunk is
held in memory, and nothing personal is stored."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common import tabular
from common.tabular import CellError, FileProblems, RowProblem

from ..models import ExchangeList
from ..rules import exchange_file as spec
from . import repository
from .identities import Identities
from .schemas import ResultIn
from .service import PURPOSE, item_out

CHUNK = 1000
MAX_ROWS = 200_000
HEADERS = list(spec.DOWNLOAD) + list(spec.RESULT_HEADERS)


def _dmy(day: date | str | None) -> str:
    if day is None or day == "":
        return ""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return day.strftime("%d/%m/%Y")


async def rows(sessionmaker: async_sessionmaker[AsyncSession], exchange_list: ExchangeList, areas: Any,
               action: str | None, identities: Identities, *, typed: bool) -> AsyncIterator[list[list[Any]]]:
    day = (lambda d: date.fromisoformat(d) if isinstance(d, str) else d) if typed else _dmy
    after: uuid.UUID | None = None
    n = 0
    async with sessionmaker() as session:
        while True:
            chunk = await repository.items(session, exchange_list.id, areas, action, after, CHUNK)
            if not chunk:
                return
            found = await identities.fetch([r[0].person_id for r in chunk],
                                           PURPOSE.format(period=exchange_list.period))
            out = []
            for r in chunk:
                n += 1
                i = item_out(r, found.get(r[0].person_id))
                result = spec.OUTCOME_LABELS.get(i.result, "")
                sex = spec.SEX_LABELS.get(i.sex or "", "")
                out.append([n, str(i.person_id), i.full_name, day(i.date_of_birth), sex, i.national_id, i.address,
                            i.household_code, i.commune_code, i.district_code,
                            spec.ACTION_LABELS[i.action], i.group, i.benefit_level, day(i.valid_from),
                            day(i.valid_to), i.current_card, result, None, None, None,
                            i.result_reason or None])
            yield out
            if len(chunk) < CHUNK:
                return
            after = chunk[-1][0].id


# --- uploads -----------------------------------------------------------------------------------------------

def read_results(body: bytes, content_type: str | None) -> list[ResultIn]:
    """The results filled in a list file; rows whose `Kết quả` is empty are not answered yet and skipped. Any problem
    (header, cell, a person twice) raises 422 listing every problem: nothing is applied."""
    sheet = tabular.open_sheet(body, content_type, MAX_ROWS)
    header, header_problems = tabular.match_header("results", spec.RESULT_COLUMNS, sheet.header,
                                                   ignored=spec.INFORMATIONAL)
    if header_problems:
        raise FileProblems([RowProblem(1, p.column, None, p.reason) for p in header_problems])
    readers = {"person_id": tabular.text, "outcome": spec.outcome, "card_code": tabular.text,
               "valid_from": tabular.parse_date, "valid_to": tabular.parse_date, "reason": tabular.text}
    problems: list[RowProblem] = []
    out: list[ResultIn] = []
    seen: dict[uuid.UUID, int] = {}
    for line, cells in sheet.rows:
        values = header.values(cells)
        found: dict[str, Any] = {}
        before = len(problems)
        for name, read in readers.items():
            try:
                found[name] = read(values.get(name))
            except CellError as exc:
                problems.append(RowProblem(line, header.column(name), name, str(exc)))
        if len(problems) > before or found.get("outcome") is None:
            continue
        try:
            person = uuid.UUID(found["person_id"] or "")
        except ValueError:
            problems.append(RowProblem(line, header.column("person_id"), "person_id", "not a person id of the list"))
            continue
        if person in seen:
            problems.append(RowProblem(line, header.column("person_id"), "person_id",
                                       f"the same person as on line {seen[person]}"))
            continue
        seen[person] = line
        try:
            out.append(ResultIn.model_validate({**found, "person_id": person}))
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else None
                problems.append(RowProblem(line, header.column(field) if field else None, field,
                                           err["msg"].removeprefix("Value error, ")))
    if problems:
        raise FileProblems(problems)
    return out
