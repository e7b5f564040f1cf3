"""Batch files: streamed downloads (JSON, CSV, XLSX with Vietnamese headers) and uploads of the same files filled in.

Downloads read the batch's lines in keyset chunks of :data:`CHUNK` (one query each, on the payroll lines' page
index) in a session of their own, because the response is sent after the request's session has committed: at
most a chunk of lines is held as Python objects. CSV and JSON are written chunk by chunk; XLSX goes through
openpyxl's write-only workbook (rows spooled to a temporary file) and is then sent in blocks.
"""

from __future__ import annotations

import io
import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common import tabular
from common.tabular import CellError, FileProblems, RowProblem

from ..models import Batch
from ..rules import postal
from . import repository
from .schemas import LineResultIn

CHUNK = 1000
BLOCK = 64 * 1024
MAX_ROWS = 100_000
RESULT_HEADERS = [c.headers[1] for c in postal.RESULT_COLUMNS if c.field != "line_id"]
HEADERS = [h for h, _ in postal.DOWNLOAD] + RESULT_HEADERS


async def _chunks(sessionmaker: async_sessionmaker[AsyncSession], batch: Batch) -> AsyncIterator[Sequence[Row[Any]]]:
    after = uuid.UUID(int=0)
    async with sessionmaker() as session:
        while True:
            rows = await repository.chunk(session, batch, after, CHUNK)
            if rows:
                yield rows
            if len(rows) < CHUNK:
                return
            after = rows[-1].id


def _dmy(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _received_by(r: Row[Any]) -> str:
    if r.paid_to == "beneficiary":
        return postal.BENEFICIARY_LABEL
    return r.proxy_name or ""


def _cells(n: int, r: Row[Any], *, typed: bool) -> list[Any]:
    """One row of the file: the line, then its result when one was reported (empty cells otherwise)."""
    blank: Any = None if typed else ""
    day = (lambda d: d) if typed else _dmy
    return [
        n,
        str(r.id),
        r.recipient_name or blank,
        r.national_id or blank,
        day(r.date_of_birth) if r.date_of_birth else blank,
        r.commune_code,
        r.total,
        r.regular,
        r.arrears,
        r.recovery,
        r.carried,
        r.note or blank,
        postal.OUTCOME_LABELS[r.outcome] if r.outcome else blank,
        day(r.paid_on) if r.paid_on else blank,
        _received_by(r) if r.outcome == "paid" else blank,
        r.receipt_number or blank,
        r.paid_amount if r.paid_amount is not None else blank,
        r.reason or blank,
    ]


async def csv_stream(sessionmaker: async_sessionmaker[AsyncSession], batch: Batch) -> AsyncIterator[bytes]:
    """UTF-8 with BOM (spreadsheet programs read it), one chunk of lines at a time."""
    buffer = io.StringIO()
    writer = tabular.csv_writer(buffer)
    writer.writerow(HEADERS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    n = 0
    async for rows in _chunks(sessionmaker, batch):
        buffer.seek(0)
        buffer.truncate()
        for r in rows:
            n += 1
            writer.writerow(_cells(n, r, typed=False))
        yield buffer.getvalue().encode()


def _json_line(n: int, r: Row[Any]) -> dict[str, Any]:
    result = None
    if r.outcome:
        result = {
            "outcome": r.outcome,
            "paid_on": r.paid_on,
            "paid_to": r.paid_to,
            "proxy_name": r.proxy_name,
            "receipt_number": r.receipt_number,
            "amount": r.paid_amount,
            "reason": r.reason,
        }
    return {
        "n": n,
        "line_id": r.id,
        "recipient_name": r.recipient_name,
        "national_id": r.national_id,
        "date_of_birth": r.date_of_birth,
        "commune_code": r.commune_code,
        "total": r.total,
        "regular": r.regular,
        "arrears": r.arrears,
        "recovery": r.recovery,
        "carried": r.carried,
        "note": r.note,
        "result": result,
    }


async def json_stream(
    sessionmaker: async_sessionmaker[AsyncSession], batch: Batch, head: dict[str, Any]
) -> AsyncIterator[bytes]:
    """``{"batch": {…}, "lines": [...]}``, written chunk by chunk."""
    yield (json.dumps({"batch": head}, ensure_ascii=False, default=str)[:-1] + ', "lines": [').encode()
    n = 0
    async for rows in _chunks(sessionmaker, batch):
        parts = []
        for r in rows:
            n += 1
            parts.append(json.dumps(_json_line(n, r), ensure_ascii=False, default=str))
        yield (("," if n > len(rows) else "") + ",".join(parts)).encode()
    yield b"]}"


async def xlsx_stream(sessionmaker: async_sessionmaker[AsyncSession], batch: Batch) -> AsyncIterator[bytes]:
    """openpyxl write-only: rows go to a temporary file as they are appended; the workbook is then sent in blocks."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(f"{batch.period} {batch.commune_code}")
    sheet.append(tabular.xlsx_row(sheet, HEADERS))
    n = 0
    async for rows in _chunks(sessionmaker, batch):
        for r in rows:
            n += 1
            sheet.append(tabular.xlsx_row(sheet, _cells(n, r, typed=True)))
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
        out.seek(0)
        while block := out.read(BLOCK):
            yield block


# --- uploads -----------------------------------------------------------------------------------------------------


def _row(
    line: int, header: tabular.Header, cells: list[tabular.Cell], problems: list[RowProblem]
) -> dict[str, Any] | None:
    values = header.values(cells)
    found: dict[str, Any] = {}
    readers = {
        "line_id": tabular.text,
        "outcome": postal.outcome,
        "paid_on": tabular.parse_date,
        "paid_to": postal.paid_to,
        "receipt_number": tabular.text,
        "amount": tabular.whole_vnd,
        "reason": tabular.text,
    }
    before = len(problems)
    for name, read in readers.items():
        try:
            found[name] = read(values.get(name))
        except CellError as exc:
            problems.append(RowProblem(line, header.column(name), name, str(exc)))
    if found.get("outcome") is None and len(problems) == before:
        filled = [n for n in ("paid_on", "paid_to", "receipt_number", "amount", "reason") if found.get(n) is not None]
        if filled:
            shown = ", ".join(header.column(n) for n in filled)
            problems.append(
                RowProblem(line, header.column("outcome"), "outcome", f"empty, but the row has a result: {shown}")
            )
        return None
    if len(problems) > before:
        return None
    try:
        line_id = uuid.UUID(found["line_id"] or "")
    except ValueError:
        problems.append(RowProblem(line, header.column("line_id"), "line_id", "not a line of this batch"))
        return None
    paid_to = found.pop("paid_to")
    item = {
        **found,
        "line_id": line_id,
        "paid_to": paid_to[0] if paid_to else None,
        "proxy_name": paid_to[1] if paid_to else None,
    }
    try:
        return LineResultIn.model_validate(item).model_dump()
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else None
            problems.append(
                RowProblem(
                    line, header.column(field) if field else None, field, err["msg"].removeprefix("Value error, ")
                )
            )
        return None


def read_results(body: bytes, content_type: str | None) -> tuple[list[tuple[int, dict[str, Any]]], tabular.Header]:
    """The results filled in a batch file, as ``(line, result)``: rows whose ``Kết quả`` is empty are not reported
    yet and skipped. Any problem (header, cell, a line twice) raises 422 with every problem: nothing is applied."""
    sheet = tabular.open_sheet(body, content_type, MAX_ROWS)
    header, header_problems = tabular.match_header(
        "results", postal.RESULT_COLUMNS, sheet.header, ignored=postal.INFORMATIONAL
    )
    if header_problems:
        raise FileProblems([RowProblem(1, p.column, None, p.reason) for p in header_problems])
    problems: list[RowProblem] = []
    out: list[tuple[int, dict[str, Any]]] = []
    seen: dict[uuid.UUID, int] = {}
    for line, cells in sheet.rows:
        item = _row(line, header, cells, problems)
        if item is None:
            continue
        if item["line_id"] in seen:
            problems.append(
                RowProblem(
                    line, header.column("line_id"), "line_id", f"the same line as on line {seen[item['line_id']]}"
                )
            )
            continue
        seen[item["line_id"]] = line
        out.append((line, item))
    if problems:
        raise FileProblems(problems)
    return out, header


def unknown_lines(rows: list[tuple[int, dict[str, Any]]], known: set[uuid.UUID], header: tabular.Header) -> None:
    column = header.column("line_id")
    problems = [
        RowProblem(line, column, "line_id", f"{item['line_id']} is not a line of this batch")
        for line, item in rows
        if item["line_id"] not in known
    ]
    if problems:
        raise FileProblems(problems)


def wrong_days(rows: list[tuple[int, dict[str, Any]]], found: list[tuple[int, str]], header: tabular.Header) -> None:
    """422 with a row-level problem for each ``(index in rows, reason)`` of a ``paid_on`` that cannot be."""
    column = header.column("paid_on")
    problems = [RowProblem(rows[i][0], column, "paid_on", reason) for i, reason in found]
    if problems:
        raise FileProblems(problems)
