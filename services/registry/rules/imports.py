"""Columns and cell values of bulk import files (CSV / XLSX), as district officers write them.

Pure: no I/O. Headers are matched without case, diacritics, ``_`` or repeated spaces, so ``Họ và tên``,
``HO VA TEN`` and ``full_name`` name the same column (:func:`header_key`). Every column accepts its English
snake_case name and the Vietnamese headers listed in :data:`COLUMNS`; a leading ``STT`` (row number)
column is ignored. Cell parsers raise :class:`CellError` with a reason meant for the person who fixes
the file.

Spreadsheets store codes typed as numbers without their leading zeros (``084190012345`` becomes
``84190012345``); a numeric cell of a code column is therefore padded back to the code's width.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from .names import name_key

__all__ = [
    "COLUMNS", "IGNORED_HEADERS", "KINDS", "POVERTY", "RELATIONSHIPS", "CellError", "Column", "Header",
    "HeaderProblem", "RowProblem",
    "categories", "choice", "code", "disability_level", "header_key", "match_header", "parse_date",
    "poverty_status", "relationship", "sex", "text",
]

Cell = str | int | float | date | datetime | None
"""A cell as read: always ``str`` (or None) from CSV; typed from XLSX."""

KINDS = ("persons", "households", "applications")


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    headers: tuple[str, ...]
    """Accepted headers; the first is the English name, the others Vietnamese."""
    required: bool = False
    description: str = ""


COLUMNS: dict[str, tuple[Column, ...]] = {
    "persons": (
        Column("full_name", ("full_name", "Họ và tên", "Họ tên"), True, "Full name, with diacritics"),
        Column("date_of_birth", ("date_of_birth", "Ngày sinh", "Ngày tháng năm sinh"), True,
               "YYYY-MM-DD or DD/MM/YYYY (or a date cell)"),
        Column("sex", ("sex", "Giới tính"), True, "`male`/`female` or `Nam`/`Nữ`"),
        Column("national_id", ("national_id", "Số CCCD", "CCCD", "Số định danh", "Số định danh cá nhân"), False,
               "12 digits; must agree with the date of birth and sex"),
        Column("commune_code", ("commune_code", "Mã xã", "Mã xã/phường"), True,
               "Commune in force today, within the client's areas"),
        Column("address_line", ("address_line", "Địa chỉ"), False, "Hamlet, street"),
        Column("phone", ("phone", "Số điện thoại", "Điện thoại"), False, "Vietnamese phone number"),
        Column("ethnicity", ("ethnicity", "Dân tộc"), False, ""),
        Column("disability_level", ("disability_level", "Mức độ khuyết tật"), False,
               "`severe`/`extremely_severe` or `Nặng`/`Đặc biệt nặng`"),
        Column("disability_certified_on", ("disability_certified_on", "Ngày xác nhận khuyết tật"), False,
               "Date of the disability certificate"),
    ),
    "households": (
        Column("household_code", ("household_code", "Mã hộ"), True,
               "The household's code (mã hộ): one household per code; rows with the same code are its members"),
        Column("commune_code", ("commune_code", "Mã xã", "Mã xã/phường"), True,
               "Commune in force today, within the client's areas; the same on every row of a household"),
        Column("address_line", ("address_line", "Địa chỉ"), False, "The same on every row of a household"),
        Column("national_id", ("national_id", "Số CCCD", "CCCD", "Số định danh", "Số định danh cá nhân"), True,
               "The member: a registered person within the client's areas"),
        Column("relationship", ("relationship", "Quan hệ với chủ hộ", "Quan hệ"), True,
               "`head`, `spouse`, `child`, `parent`, `grandchild`, `sibling`, `other` or `Chủ hộ`, `Vợ`, `Chồng`, "
               "`Con`, `Cha`, `Mẹ`, `Cháu`, `Anh`, `Chị`, `Em`, `Khác`; exactly one head per household"),
        Column("joined_on", ("joined_on", "Ngày vào hộ"), False, "Day the member joined; today if empty"),
        Column("poverty_status", ("poverty_status", "Tình trạng nghèo", "Phân loại hộ"), False,
               "`poor`, `near_poor`, `average_living_farming`, `none` or `Nghèo`, `Cận nghèo`, "
               "`Mức sống trung bình`, `Không`"),
        Column("poverty_valid_from", ("poverty_valid_from", "Ngày hiệu lực"), False,
               "Required with a poverty status"),
        Column("poverty_document", ("poverty_document", "Số quyết định", "Quyết định"), False,
               "The deciding document; required with a poverty status"),
    ),
    "applications": (
        Column("national_id", ("national_id", "Số CCCD", "CCCD", "Số định danh", "Số định danh cá nhân"), True,
               "The applicant: a registered person within the client's areas"),
        Column("categories", ("categories", "Diện hưởng", "Mã đối tượng", "Đối tượng"), True,
               "Category codes separated by `;` or `,`, e.g. `5.5a` or `5.1; 5.6`"),
        Column("note", ("note", "Ghi chú"), False, ""),
    ),
}

IGNORED_HEADERS = ("STT", "Số TT", "TT", "No", "#")
"""Row-number columns that spreadsheets carry; ignored."""


@lru_cache(maxsize=4096)  # cells of choice columns (Nam / Nữ, Chủ hộ, …) repeat on every row
def header_key(value: str) -> str:
    """``"Họ và tên"``, ``"HO_VA_TEN"`` → ``"ho va ten"``."""
    return name_key(value.replace("_", " ").replace("\ufeff", ""))


_IGNORED = frozenset(header_key(h) for h in IGNORED_HEADERS)


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
        return sum(1 for c in cells[self.width:] if not _blank(c))


def match_header(kind: str, cells: Sequence[Cell]) -> tuple[Header, list[HeaderProblem]]:
    """Map the header row of a ``kind`` file to fields; every unknown, repeated or missing column is a problem."""
    by_key = {header_key(h): c.field for c in COLUMNS[kind] for h in c.headers}
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
        if key in _IGNORED:
            continue
        field = by_key.get(key)
        if field is None:
            problems.append(HeaderProblem(shown, "unknown column; accepted: " + ", ".join(
                f"{c.headers[0]} ({' / '.join(c.headers[1:])})" for c in COLUMNS[kind])))
        elif field in written:
            problems.append(HeaderProblem(shown, f"the same column as {written[field]!r}"))
        else:
            positions.append((i, field))
            written[field] = shown
    for c in COLUMNS[kind]:
        if c.required and c.field not in written:
            problems.append(HeaderProblem(c.headers[0], "required column missing; its header may be any of "
                                          + ", ".join(repr(h) for h in c.headers)))
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


class CellError(ValueError):
    """A cell that cannot be read as its column's type; the message says why."""


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def text(cell: Cell) -> str | None:
    """The cell as trimmed text; None when empty."""
    if type(cell) is str:  # every CSV cell: the fast path
        return cell.strip() or None
    if _blank(cell):
        return None
    if isinstance(cell, datetime):
        cell = cell.date()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


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
    value = str(cell).strip()
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


def choice(cell: Cell, options: Mapping[str, str], shown: str) -> str | None:
    """One of ``options`` (keys compared by :func:`header_key`, i.e. without case and diacritics)."""
    value = text(cell)
    if value is None:
        return None
    found = options.get(header_key(value))
    if found is None:
        raise CellError(f"{value!r} is not one of {shown}")
    return found


_SEX = {"male": "male", "m": "male", "nam": "male", "female": "female", "f": "female", "nu": "female"}
_DISABILITY = {"severe": "severe", "nang": "severe", "extremely severe": "extremely_severe",
               "dac biet nang": "extremely_severe"}
RELATIONSHIPS = {
    "head": "head", "chu ho": "head", "spouse": "spouse", "vo": "spouse", "chong": "spouse", "vo/chong": "spouse",
    "child": "child", "con": "child", "con de": "child", "con nuoi": "child",
    "parent": "parent", "cha": "parent", "me": "parent", "bo": "parent", "cha/me": "parent", "bo/me": "parent",
    "grandchild": "grandchild", "chau": "grandchild", "sibling": "sibling", "anh": "sibling", "chi": "sibling",
    "em": "sibling", "anh/chi/em": "sibling", "other": "other", "khac": "other",
}
POVERTY = {
    "poor": "poor", "ngheo": "poor", "ho ngheo": "poor", "near poor": "near_poor", "can ngheo": "near_poor",
    "ho can ngheo": "near_poor", "average living farming": "average_living_farming",
    "muc song trung binh": "average_living_farming", "ho muc song trung binh": "average_living_farming",
    "none": "none", "khong": "none",
}


def sex(cell: Cell) -> str | None:
    return choice(cell, _SEX, "male, female, Nam, Nữ")


def disability_level(cell: Cell) -> str | None:
    return choice(cell, _DISABILITY, "severe, extremely_severe, Nặng, Đặc biệt nặng")


def relationship(cell: Cell) -> str | None:
    return choice(cell, RELATIONSHIPS, "head, spouse, child, parent, grandchild, sibling, other (or Chủ hộ, Vợ, "
                                       "Chồng, Con, Cha, Mẹ, Cháu, Anh, Chị, Em, Khác)")


def poverty_status(cell: Cell) -> str | None:
    return choice(cell, POVERTY, "poor, near_poor, average_living_farming, none (or Nghèo, Cận nghèo, "
                                 "Mức sống trung bình, Không)")


def categories(cell: Cell) -> list[str]:
    """``"5.1; 5.6"`` → ``["5.1", "5.6"]`` (separated by ``;``, ``,`` or spaces)."""
    value = text(cell)
    return [c for c in re.split(r"[;,\s]+", value) if c] if value else []
