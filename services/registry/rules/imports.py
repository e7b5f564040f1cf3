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
import unicodedata
from collections.abc import Sequence

from common.tabular import (
    IGNORED_HEADERS,
    Cell,
    CellError,
    Column,
    Header,
    HeaderProblem,
    RowProblem,
    choice,
    code,
    header_key,
    parse_date,
    text,
)
from common.tabular import match_header as _match_header

from .text import HOSTILE, line_problem, prose_problem

__all__ = [
    "COLUMNS",
    "IGNORED_HEADERS",
    "KINDS",
    "POVERTY",
    "RELATIONSHIPS",
    "Cell",
    "CellError",
    "Column",
    "Header",
    "HeaderProblem",
    "RowProblem",
    "categories",
    "choice",
    "code",
    "disability_level",
    "header_key",
    "line",
    "match_header",
    "month",
    "parse_date",
    "poverty_status",
    "prose",
    "relationship",
    "sex",
    "study_kind",
    "text",
]

KINDS = ("persons", "households", "applications", "study_periods")


COLUMNS: dict[str, tuple[Column, ...]] = {
    "persons": (
        Column("full_name", ("full_name", "Họ và tên", "Họ tên"), True, "Full name, with diacritics"),
        Column(
            "date_of_birth",
            ("date_of_birth", "Ngày sinh", "Ngày tháng năm sinh"),
            True,
            "YYYY-MM-DD or DD/MM/YYYY (or a date cell)",
        ),
        Column("sex", ("sex", "Giới tính"), True, "`male`/`female` or `Nam`/`Nữ`"),
        Column(
            "national_id",
            ("national_id", "Số CCCD", "CCCD", "Số định danh", "Số định danh cá nhân"),
            False,
            "12 digits; must agree with the date of birth and sex",
        ),
        Column(
            "commune_code",
            ("commune_code", "Mã xã", "Mã xã/phường"),
            True,
            "Commune in force today, within the client's areas",
        ),
        Column("address_line", ("address_line", "Địa chỉ"), False, "Hamlet, street"),
        Column("phone", ("phone", "Số điện thoại", "Điện thoại"), False, "Vietnamese phone number"),
        Column("ethnicity", ("ethnicity", "Dân tộc"), False, ""),
        Column(
            "disability_level",
            ("disability_level", "Mức độ khuyết tật"),
            False,
            "`severe`/`extremely_severe` or `Nặng`/`Đặc biệt nặng`",
        ),
        Column(
            "disability_certified_on",
            ("disability_certified_on", "Ngày xác nhận khuyết tật"),
            False,
            "Date of the disability certificate",
        ),
    ),
    "households": (
        Column(
            "household_code",
            ("household_code", "Mã hộ"),
            True,
            "The household's code (mã hộ): one household per code; rows with the same code are its members",
        ),
        Column(
            "commune_code",
            ("commune_code", "Mã xã", "Mã xã/phường"),
            True,
            "Commune in force today, within the client's areas; the same on every row of a household",
        ),
        Column("address_line", ("address_line", "Địa chỉ"), False, "The same on every row of a household"),
        Column(
            "national_id",
            ("national_id", "Số CCCD", "CCCD", "Số định danh", "Số định danh cá nhân"),
            True,
            "The member: a registered person within the client's areas",
        ),
        Column(
            "relationship",
            ("relationship", "Quan hệ với chủ hộ", "Quan hệ"),
            True,
            "`head`, `spouse`, `child`, `parent`, `grandchild`, `sibling`, `other` or `Chủ hộ`, `Vợ`, `Chồng`, "
            "`Con`, `Cha`, `Mẹ`, `Cháu`, `Anh`, `Chị`, `Em`, `Khác`; exactly one head per household",
        ),
        Column("joined_on", ("joined_on", "Ngày vào hộ"), False, "Day the member joined; today if empty"),
        Column(
            "poverty_status",
            ("poverty_status", "Tình trạng nghèo", "Phân loại hộ"),
            False,
            "`poor`, `near_poor`, `average_living_farming`, `none` or `Nghèo`, `Cận nghèo`, "
            "`Mức sống trung bình`, `Không`",
        ),
        Column("poverty_valid_from", ("poverty_valid_from", "Ngày hiệu lực"), False, "Required with a poverty status"),
        Column(
            "poverty_document",
            ("poverty_document", "Số quyết định", "Quyết định"),
            False,
            "The deciding document; required with a poverty status",
        ),
    ),
    "applications": (
        Column(
            "national_id",
            ("national_id", "Số CCCD", "CCCD", "Số định danh", "Số định danh cá nhân"),
            True,
            "The applicant: a registered person within the client's areas",
        ),
        Column(
            "categories",
            ("categories", "Diện hưởng", "Mã đối tượng", "Đối tượng"),
            True,
            "Category codes separated by `;` or `,`, e.g. `5.5a` or `5.1; 5.6`",
        ),
        Column("note", ("note", "Ghi chú"), False, ""),
    ),
    "study_periods": (
        Column(
            "national_id",
            ("national_id", "Số CCCD", "CCCD", "Số định danh", "Số định danh cá nhân"),
            True,
            "The pupil or student: a registered person within the client's areas",
        ),
        Column(
            "study_kind",
            ("study_kind", "Loại hình", "Loại hình học"),
            True,
            "`school`, `vocational`, `university` or `Phổ thông`, `Học nghề`, `Đại học`",
        ),
        Column("from", ("from", "Từ tháng"), True, "First month studied: `YYYY-MM`, `MM/YYYY` or a date cell"),
        Column("to", ("to", "Đến tháng"), False, "Last month studied (empty: still studying)"),
        Column("institution", ("institution", "Trường", "Cơ sở đào tạo"), False, "School or training institution"),
        Column(
            "document",
            ("document", "Giấy xác nhận", "Văn bản xác nhận"),
            True,
            "The certifying document (number and date)",
        ),
    ),
}


def match_header(kind: str, cells: Sequence[Cell]) -> tuple[Header, list[HeaderProblem]]:
    """Map the header row of a ``kind`` file to fields; every unknown, repeated or missing column is a problem."""
    return _match_header(kind, COLUMNS[kind], cells)


_SEX = {"male": "male", "m": "male", "nam": "male", "female": "female", "f": "female", "nu": "female"}
_DISABILITY = {
    "severe": "severe",
    "nang": "severe",
    "extremely severe": "extremely_severe",
    "dac biet nang": "extremely_severe",
}
RELATIONSHIPS = {
    "head": "head",
    "chu ho": "head",
    "spouse": "spouse",
    "vo": "spouse",
    "chong": "spouse",
    "vo/chong": "spouse",
    "child": "child",
    "con": "child",
    "con de": "child",
    "con nuoi": "child",
    "parent": "parent",
    "cha": "parent",
    "me": "parent",
    "bo": "parent",
    "cha/me": "parent",
    "bo/me": "parent",
    "grandchild": "grandchild",
    "chau": "grandchild",
    "sibling": "sibling",
    "anh": "sibling",
    "chi": "sibling",
    "em": "sibling",
    "anh/chi/em": "sibling",
    "other": "other",
    "khac": "other",
}
POVERTY = {
    "poor": "poor",
    "ngheo": "poor",
    "ho ngheo": "poor",
    "near poor": "near_poor",
    "can ngheo": "near_poor",
    "ho can ngheo": "near_poor",
    "average living farming": "average_living_farming",
    "muc song trung binh": "average_living_farming",
    "ho muc song trung binh": "average_living_farming",
    "none": "none",
    "khong": "none",
}


def line(cell: Cell) -> str | None:
    """:func:`text` typed on one line (a code, an address, a document), as NFC; a control character (tab and line
    breaks included) or a direction override is a cell error naming it, as the single-record API refuses them."""
    value = text(cell)
    if value is not None and HOSTILE.search(value) and (problem := line_problem(value)):
        raise CellError(problem)
    return None if value is None else unicodedata.normalize("NFC", value)


def prose(cell: Cell) -> str | None:
    """:func:`text` that may span lines (a note), as NFC: tab and line breaks are kept; another control character
    or a direction override is a cell error naming it."""
    value = text(cell)
    if value is not None and HOSTILE.search(value) and (problem := prose_problem(value)):
        raise CellError(problem)
    return None if value is None else unicodedata.normalize("NFC", value)


def sex(cell: Cell) -> str | None:
    return choice(cell, _SEX, "male, female, Nam, Nữ")


def disability_level(cell: Cell) -> str | None:
    return choice(cell, _DISABILITY, "severe, extremely_severe, Nặng, Đặc biệt nặng")


def relationship(cell: Cell) -> str | None:
    return choice(
        cell,
        RELATIONSHIPS,
        "head, spouse, child, parent, grandchild, sibling, other (or Chủ hộ, Vợ, "
        "Chồng, Con, Cha, Mẹ, Cháu, Anh, Chị, Em, Khác)",
    )


def poverty_status(cell: Cell) -> str | None:
    return choice(
        cell, POVERTY, "poor, near_poor, average_living_farming, none (or Nghèo, Cận nghèo, Mức sống trung bình, Không)"
    )


_STUDY = {
    "school": "school",
    "pho thong": "school",
    "hoc sinh": "school",
    "vocational": "vocational",
    "hoc nghe": "vocational",
    "nghe": "vocational",
    "university": "university",
    "dai hoc": "university",
    "cao dang": "university",
    "sinh vien": "university",
}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$|^(\d{1,2})[/.-](\d{4})$")


def study_kind(cell: Cell) -> str | None:
    return choice(cell, _STUDY, "school, vocational, university (or Phổ thông, Học nghề, Đại học)")


def month(cell: Cell) -> tuple[int, int] | None:
    """(year, month) from ``YYYY-MM``, ``MM/YYYY`` or a date cell; None when empty."""
    value = text(cell)
    if value is None:
        return None
    found = _MONTH.match(value)
    if found is None:
        try:
            day = parse_date(cell)
        except CellError:
            day = None
        if day is None:
            raise CellError(f"{value!r} is not a month (YYYY-MM or MM/YYYY)")
        return day.year, day.month
    year, number = (found.group(1), found.group(2)) if found.group(1) else (found.group(4), found.group(3))
    if not 1 <= int(number) <= 12:
        raise CellError(f"{value!r} is not a month (YYYY-MM or MM/YYYY)")
    return int(year), int(number)


def categories(cell: Cell) -> list[str]:
    """``"5.1; 5.6"`` → ``["5.1", "5.6"]`` (separated by ``;``, ``,`` or spaces)."""
    value = text(cell)
    return [c for c in re.split(r"[;,\s]+", value) if c] if value else []
