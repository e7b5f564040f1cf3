"""Tabular files as partners and district officers exchange them: CSV or XLSX with Vietnamese headers.

Reading (:func:`open_sheet`): CSV in UTF-8 (with or without BOM; separated by ``,``, ``;`` or tabs) or XLSX (the
first sheet), as a header and an iterator of ``(line, cells)``; raises the problems a partner can fix: 415 for
another media type, 422 for a file that is not UTF-8, not a readable XLSX, or empty, 413 for too many rows.

Headers are matched without case, diacritics, ``_`` or repeated spaces (:func:`header_key`), so ``Họ và tên``,
``HO VA TEN`` and ``ho_va_ten`` name the same column; :func:`match_header` maps a header row to the fields of a
list of :class:`Column`. Cell readers (:func:`text`, :func:`code`, :func:`parse_date`, :func:`choice`) raise
:class:`CellError` with a reason meant for the person who fixes the file; :class:`RowProblem` is one problem with
one row (line, column as written, field, reason).

Writing (:func:`csv_writer`, :func:`xlsx_row`): every CSV and XLSX the suite sends goes through these, so that no
text cell can become a live formula in a spreadsheet program (OWASP "CSV injection"). A text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a single quote in front (:func:`escape`);
numbers and dates stay numbers and dates. XLSX text cells are written as strings (``t="inlineStr"``), never as
formulas. Reading undoes exactly that prefix (:func:`unescape`), so a file downloaded and uploaded again reads
the values that were written. XLSX cannot hold the control characters U+0000–U+0008, U+000B, U+000C and
U+000E–U+001F (openpyxl refuses them, which broke a download mid-stream): the XLSX writers show each as U+FFFD
(:func:`xlsx_text`); CSV keeps them as they are.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from .errors import AnSinhError, PayloadTooLarge, ValidationFailed

Cell = str | int | float | date | datetime | None
"""A cell as read: always ``str`` (or None) from CSV; typed from XLSX."""

CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SNIFFED_TYPES = frozenset({"", "application/octet-stream"})
"""No usable type: decided by the content (XLSX is a ZIP file)."""

IGNORED_HEADERS = ("STT", "Số TT", "TT", "No", "#")
"""Row-number columns that spreadsheets carry; ignored."""


# --- text keys -----------------------------------------------------------------------------------------------

_D = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def fold(value: str) -> str:
    """Lower-case ASCII key: diacritics removed, ``đ`` → ``d``, single-spaced (``"Nguyễn Thị Lan"`` →
    ``"nguyen thi lan"``). ``đ`` is a letter of its own, not ``d`` plus a mark, so it is mapped explicitly."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_D))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_only = stripped.translate(_D).encode("ascii", "ignore").decode("ascii")
    return " ".join(ascii_only.lower().split())


@lru_cache(maxsize=4096)  # cells of choice columns (Nam / Nữ, Đã chi trả, …) repeat on every row
def header_key(value: str) -> str:
    """``"Họ và tên"``, ``"HO_VA_TEN"`` → ``"ho va ten"``."""
    return fold(value.replace("_", " ").replace("\ufeff", ""))


# --- formula injection -------------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice or Google Sheets."""


def escape(value: Any) -> Any:
    """``value`` as a spreadsheet cell that cannot be a formula: text starting with one of :data:`FORMULA_STARTS`
    gets a single quote in front (OWASP's recommendation); anything else (numbers, dates, other text) unchanged."""
    if type(value) is str and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape(value: str) -> str:
    """The inverse of :func:`escape` on a cell read back: ``'=x`` → ``=x``; any other text unchanged."""
    if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


class SafeCsvWriter:
    """``csv.writer`` whose rows go through :func:`escape`; use :func:`csv_writer` to make one."""

    def __init__(self, buffer: Any) -> None:
        self._writer = csv.writer(buffer)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([escape(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(buffer: Any) -> SafeCsvWriter:
    """The one way the suite writes CSV: like ``csv.writer(buffer)``, with every text cell escaped."""
    return SafeCsvWriter(buffer)


_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""The characters an XLSX cell cannot hold (openpyxl's ``ILLEGAL_CHARACTERS_RE``)."""


def xlsx_text(value: str) -> str:
    """``value`` as an XLSX cell can hold it: each control character XML 1.0 forbids shown as U+FFFD."""
    return _XLSX_ILLEGAL.sub("\ufffd", value)


def _xlsx_safe(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """:func:`safe_rows` for XLSX: also without the characters an XLSX cell cannot hold. One search per row over its
    text cells joined (a row of a 100,000-row list rarely holds any), the cells cleaned only when one is found."""
    out = safe_rows(rows)
    search = _XLSX_ILLEGAL.search
    for row in out:
        if search("".join(c for c in row if type(c) is str)):
            row[:] = [xlsx_text(c) if type(c) is str else c for c in row]
    return out


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row for an openpyxl write-only ``sheet.append``: text escaped and typed as a string, so that openpyxl never
    writes it as a formula (``<f>``), whatever it starts with, and without the control characters an XLSX cell cannot
    hold (:func:`xlsx_text`); numbers and dates as they are."""
    from openpyxl.cell import WriteOnlyCell

    out: list[Any] = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, xlsx_text(escape(value)))
            cell.data_type = "s"  # openpyxl would type a text starting with '=' as a formula
            out.append(cell)
        else:
            out.append(value)
    return out


# --- reading a file ----------------------------------------------------------------------------------------------


class UnsupportedMediaType(AnSinhError):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"


@dataclass
class Sheet:
    format: str
    """csv or xlsx"""
    header: list[Cell]
    rows: Iterator[tuple[int, list[Cell]]]
    """(line, cells) of every non-blank row after the header; line 1 is the first line of the file."""


def _file_problem(reason: str) -> ValidationFailed:
    return ValidationFailed([{"field": "body", "reason": reason}])


def open_sheet(body: bytes, content_type: str | None, max_rows: int) -> Sheet:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in SNIFFED_TYPES:
        media = XLSX_TYPE if body.startswith(b"PK\x03\x04") else "text/csv"
    if media == XLSX_TYPE:
        return _xlsx(body, max_rows)
    if media in CSV_TYPES:
        return _csv(body, max_rows)
    raise UnsupportedMediaType(
        f"send the file as text/csv (UTF-8) or {XLSX_TYPE}, not {media!r}", accepted=["text/csv", XLSX_TYPE]
    )


def _blank_row(cells: Iterable[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _too_many(max_rows: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the file has more than {max_rows} rows; split it into several files", max_rows=max_rows)


def _csv(body: bytes, max_rows: int) -> Sheet:
    try:
        content = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise _file_problem(
            f"the file is not UTF-8 text (byte 0x{body[exc.start]:02x} on line {line}); save it "
            "as 'CSV UTF-8' (Excel) or export it as UTF-8"
        ) from None
    if not content.strip():
        raise _file_problem("the file is empty")
    first = content.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)  # Excel in some locales separates with ';'
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    header: list[Cell] = []
    for cells in reader:
        if not _blank_row(cells):
            header = list(cells)
            break

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        count = 0
        end = reader.line_num
        try:
            for cells in reader:
                start, end = end + 1, reader.line_num
                if _blank_row(cells):
                    continue
                count += 1
                if count > max_rows:
                    raise _too_many(max_rows)
                yield start, list(cells)
        except csv.Error as exc:
            raise _file_problem(f"line {reader.line_num}: not valid CSV ({exc})") from None

    return Sheet("csv", header, rows())


def _xlsx(body: bytes, max_rows: int) -> Sheet:
    import openpyxl  # imported here: only XLSX files pay for it

    if not body:
        raise _file_problem("the file is empty")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as exc:  # a damaged or foreign file fails in many ways (zip, XML, openpyxl's own)
        raise _file_problem(f"not a readable XLSX file ({type(exc).__name__})") from None
    if not workbook.worksheets:
        raise _file_problem("the workbook has no sheet")
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()  # stored dimensions are often wrong; read what is there
    found = enumerate(sheet.iter_rows(values_only=True), start=1)
    header: list[Cell] | None = None
    for _, values in found:
        if not _blank_row(values):
            header = list(values)
            break
    if header is None:
        workbook.close()
        raise _file_problem("the file is empty")

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        count = 0
        try:
            for line, values in found:
                cells = list(values)
                if _blank_row(cells):
                    continue
                count += 1
                if count > max_rows:
                    raise _too_many(max_rows)
                yield line, cells
        except AnSinhError:
            raise
        except Exception as exc:
            raise _file_problem(f"not a readable XLSX file ({type(exc).__name__})") from None
        finally:
            workbook.close()

    return Sheet("xlsx", header, rows())


# --- header ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    headers: tuple[str, ...]
    """Accepted headers; the first is the English name, the others Vietnamese."""
    required: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class HeaderProblem:
    column: str
    reason: str


@dataclass(frozen=True, slots=True)
class Header:
    """Which cell holds which field, and each field's header as written in the file."""

    kind: str
    positions: tuple[tuple[int, str], ...]
    written: Mapping[str, str]
    width: int

    def values(self, cells: Sequence[Cell]) -> dict[str, Cell]:
        return {f: (cells[i] if i < len(cells) else None) for i, f in self.positions}

    def column(self, field: str) -> str:
        """The header of ``field`` as written in the file (the field name for columns the file lacks)."""
        return self.written.get(field, field)

    def extra_cells(self, cells: Sequence[Cell]) -> int:
        """Non-empty cells to the right of the last header."""
        return sum(1 for c in cells[self.width :] if not _blank(c))


def match_header(
    kind: str, columns: Sequence[Column], cells: Sequence[Cell], ignored: Iterable[str] = IGNORED_HEADERS
) -> tuple[Header, list[HeaderProblem]]:
    """Map a header row to the fields of ``columns``; every unknown, repeated or missing column is a problem.
    Columns headed by one of ``ignored`` (row numbers, informational columns) are skipped."""
    by_key = {header_key(h): c.field for c in columns for h in c.headers}
    skip = frozenset(header_key(h) for h in ignored)
    positions: list[tuple[int, str]] = []
    written: dict[str, str] = {}
    problems: list[HeaderProblem] = []
    width = 0
    for i, cell in enumerate(cells):
        shown = "" if cell is None else str(cell).strip()
        if not shown:
            continue
        width = i + 1
        key = header_key(shown)
        if key in skip:
            continue
        field = by_key.get(key)
        if field is None:
            problems.append(
                HeaderProblem(
                    shown,
                    "unknown column; accepted: "
                    + ", ".join(f"{c.headers[0]} ({' / '.join(c.headers[1:])})" for c in columns),
                )
            )
        elif field in written:
            problems.append(HeaderProblem(shown, f"the same column as {written[field]!r}"))
        else:
            positions.append((i, field))
            written[field] = shown
    for c in columns:
        if c.required and c.field not in written:
            problems.append(
                HeaderProblem(
                    c.headers[0],
                    "required column missing; its header may be any of " + ", ".join(repr(h) for h in c.headers),
                )
            )
    return Header(kind, tuple(positions), written, width), problems


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One problem with one row: ``line`` of the file (the header is line 1), the ``column`` as its header
    is written in the file (None when it concerns the whole row), the ``field`` and the reason."""

    line: int
    column: str | None
    field: str | None
    reason: str
    code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "column": self.column, "field": self.field, "reason": self.reason}
        if self.code:
            out["code"] = self.code
        return out


class FileProblems(ValidationFailed):
    """422 ``file-problems``: an uploaded file is refused as a whole, every problem listed with where it is (the
    first 1,000 in ``errors``; ``problems_total`` counts them all)."""

    code = "file-problems"

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        errors = [{**p.as_dict(), "field": p.field or "row"} for p in problems[:1000]]
        super().__init__(
            errors,
            detail=f"{len(problems)} problem(s) in the file: nothing was applied; fix them "
            "and upload the whole file again",
            problems_total=len(problems),
        )


# --- cells -------------------------------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read as its column's type; the message says why."""


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


_NUL_CELL = "contains a NUL character (\\u0000), which cannot be stored; remove it"


def text(cell: Cell) -> str | None:
    """The cell as trimmed text; None when empty. A NUL character (which PostgreSQL cannot store) is a cell error."""
    if type(cell) is str:  # every CSV cell: the fast path
        if "\x00" in cell:
            raise CellError(_NUL_CELL)
        return unescape(cell.strip()) or None
    if _blank(cell):
        return None
    if isinstance(cell, datetime):
        cell = cell.date()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    value = str(cell)
    if "\x00" in value:
        raise CellError(_NUL_CELL)
    return unescape(value.strip())


def code(cell: Cell, width: int) -> str | None:
    """A code; a numeric cell is padded with the leading zeros a spreadsheet dropped."""
    if isinstance(cell, bool):
        raise CellError("must be a code, not a yes/no value")
    if isinstance(cell, int | float) and float(cell).is_integer() and cell >= 0:
        return str(int(cell)).zfill(width)
    return text(cell)


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def parse_date(cell: Cell) -> date | None:
    """A date cell, or text as ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (also with ``-`` or ``.``); None when empty."""
    if _blank(cell):
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    value = unescape(str(cell).strip())
    if " " in value:  # "02/03/1950 00:00:00" from some exports
        value = value.split(" ", 1)[0]
    if m := _ISO.match(value):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY.match(value):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    else:
        raise CellError(f"{value!r} is not a date; write YYYY-MM-DD or DD/MM/YYYY")
    try:
        return date(y, mo, d)
    except ValueError:
        raise CellError(f"{value!r} is not a valid date") from None


_GROUPED = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")


def whole_vnd(cell: Cell) -> int | None:
    """A whole, non-negative amount of VND: a number cell, or digits (grouped by ``.``, ``,`` or spaces in threes,
    as ``1.080.000``); None when empty. Negative or fractional amounts are refused."""
    if _blank(cell):
        return None
    if isinstance(cell, bool) or isinstance(cell, date):
        raise CellError("must be an amount in whole VND")
    if isinstance(cell, int | float):
        if isinstance(cell, float) and not cell.is_integer():
            raise CellError(f"{cell} is not a whole amount of VND")
        if cell < 0:
            raise CellError(f"{int(cell)} is negative; amounts are 0 or more")
        return int(cell)
    value = unescape(str(cell).strip())
    if value.isdigit():
        return int(value)
    if _GROUPED.match(value):
        return int(re.sub(r"[.,\s]", "", value))
    if value.startswith("-"):
        raise CellError(f"{value!r} is negative; amounts are 0 or more")
    raise CellError(f"{value!r} is not a whole amount of VND (digits only, e.g. 1080000 or 1.080.000)")


def choice(cell: Cell, options: Mapping[str, str], shown: str) -> str | None:
    """One of ``options`` (keys compared by :func:`header_key`, i.e. without case and diacritics)."""
    value = text(cell)
    if value is None:
        return None
    found = options.get(header_key(value))
    if found is None:
        raise CellError(f"{value!r} is not one of {shown}")
    return found


async def read_upload(request: Any, limit: int) -> bytes:
    """The body of a file upload (a Starlette request), refused with 413 above ``limit`` bytes — before reading it
    when ``Content-Length`` says so."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"the file is {int(length)} bytes; the limit is {limit}", max_bytes=limit)
    body: bytes = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"the file exceeds the limit of {limit} bytes", max_bytes=limit)
    return body


# --- writing a file ----------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
WRITE_BLOCK = 64 * 1024


def safe_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula (``=…``, ``+…``, ``-…``, ``@…``) is written with a
    leading apostrophe, so it shows as text (CSV/XLSX formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


async def csv_stream(headers: Sequence[str], chunks: Any, *, escaped: bool = False) -> Any:
    """UTF-8 with BOM (spreadsheet programs read it): the header, then each chunk of rows (an async iterator of
    lists of rows) as it comes; every text cell goes through :func:`safe_cell`, unless the caller made every cell
    safe itself (``escaped``: large downloads whose cells PostgreSQL made safe)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    yield ("\ufeff" + buffer.getvalue()).encode()
    async for rows in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows if escaped else safe_rows(rows))  # the csv module writes None as an empty cell
        yield buffer.getvalue().encode()


_FORMULA_FIRST = frozenset("".join(_FORMULA_START))


def safe_rows(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """:func:`safe_cell` on every cell of ``rows``, inlined (a function call per cell was most of the writer's
    time on a 136,539-row list): a text cell whose first character starts a formula gets the apostrophe."""
    first = _FORMULA_FIRST
    return [[("'" + c) if (isinstance(c, str) and c[:1] in first) else c for c in row] for row in rows]


async def xlsx_stream(title: str, headers: Sequence[str], chunks: Any) -> Any:
    """openpyxl write-only: rows are spooled to a temporary file as they come, the workbook then sent in blocks;
    every text cell goes through :func:`safe_cell` and :func:`xlsx_text`."""
    import tempfile

    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(list(headers))
    async for rows in chunks:
        for row in _xlsx_safe(rows):
            sheet.append(row)
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
        out.seek(0)
        while block := out.read(WRITE_BLOCK):
            yield block


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with BOM (Excel opens Vietnamese headers correctly), every text cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Báo cáo") -> bytes:
    """One sheet, the header row first, every text cell made safe (:func:`safe_cell`, :func:`xlsx_text`)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(headers))
    for row in _xlsx_safe(rows):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
