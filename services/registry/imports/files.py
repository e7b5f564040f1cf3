"""Reading an uploaded file into a header and rows: CSV (UTF-8, with or without BOM) or XLSX (first sheet).

Raises the problems a partner can fix: 415 for another media type, 422 for a file that is not UTF-8, not
a readable XLSX, or empty, 413 for too many rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from common.errors import AnSinhError, PayloadTooLarge, ValidationFailed

from ..rules.imports import Cell

CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SNIFFED_TYPES = frozenset({"", "application/octet-stream"})
"""No usable type: decided by the content (XLSX is a ZIP file)."""


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
    raise UnsupportedMediaType(f"send the file as text/csv (UTF-8) or {XLSX_TYPE}, not {media!r}",
                               accepted=["text/csv", XLSX_TYPE])


def _blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _too_many(max_rows: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the file has more than {max_rows} rows; split it into several imports",
                           max_rows=max_rows)


def _csv(body: bytes, max_rows: int) -> Sheet:
    try:
        content = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = body[:exc.start].count(b"\n") + 1
        raise _file_problem(f"the file is not UTF-8 text (byte 0x{body[exc.start]:02x} on line {line}); save it "
                            "as 'CSV UTF-8' (Excel) or export it as UTF-8") from None
    if not content.strip():
        raise _file_problem("the file is empty")
    first = content.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)  # Excel in some locales separates with ';'
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    header: list[Cell] = []
    for cells in reader:
        if not _blank(list(cells)):
            header = list(cells)
            break

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        count = 0
        end = reader.line_num
        try:
            for cells in reader:
                start, end = end + 1, reader.line_num
                if _blank(list(cells)):
                    continue
                count += 1
                if count > max_rows:
                    raise _too_many(max_rows)
                yield start, list(cells)
        except csv.Error as exc:
            raise _file_problem(f"line {reader.line_num}: not valid CSV ({exc})") from None

    return Sheet("csv", header, rows())


def _xlsx(body: bytes, max_rows: int) -> Sheet:
    import openpyxl  # imported here: only XLSX uploads pay for it

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
        if not _blank(list(values)):
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
                if _blank(cells):
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
