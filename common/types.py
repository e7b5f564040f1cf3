"""Input types every API shares: text PostgreSQL can store, integers that fit in 64 bits, business months.

PostgreSQL refuses a NUL character in ``text`` and asyncpg cannot encode a lone UTF-16 surrogate (``"\\ud800"`` in
JSON); a ``BIGINT`` holds 64 bits; Python's ``date`` has no year 0. Each of these once reached the database or the
calendar and answered 500. The types below refuse them at validation, as a 422 that names the field; the request
guard (:mod:`common.input_guard`) applies the same rules to every JSON body, form and query string before any
route runs, so a route that uses a plain ``str`` or ``int`` is protected too.

    Text          str without NUL or lone surrogates
    Int64         an integer within a signed 64-bit BIGINT
    Month         ``YYYY-MM`` with the year within MIN_YEAR..MAX_YEAR (a string)
    OneLine       text typed on one line (a name, a document number, a reason): NFC, trimmed, not blank, without
                  control characters or direction overrides
    Prose         text that may span lines (a report, a note): NFC, without control characters other than tab and
                  line breaks, without direction overrides; NonBlankProse when it is required
    Day           a date within MIN_YEAR..MAX_YEAR (``0001-01-01`` and ``9999-12-31`` are valid ISO dates, but a day
                  added to or taken from them overflows Python's calendar: a 500, or a poisoned background job)
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, Field

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MIN_YEAR = 1900
MAX_YEAR = 2100
"""Business months and years lie within these (births from 1900; payrolls, decisions and plans before 2100)."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None when it can."""
    if "\x00" in value:
        return "must not contain a NUL character (\\u0000)"
    if _SURROGATE.search(value):
        return "must not contain a lone surrogate (\\ud800-\\udfff): send valid Unicode"
    return None


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_OVERRIDES = re.compile("[\u202a-\u202e\u2066-\u2069]")
"""Bidirectional embeddings, overrides and isolates: they make text display in another order than it is stored
(``abc\u202egpj.exe`` shows as ``abcexe.jpg``); no Vietnamese text needs them."""


def _written_problem(value: str, control: re.Pattern[str], what: str) -> str | None:
    found = control.search(value)
    if found:
        return f"must not contain control characters ({what}); found U+{ord(found.group()):04X}"
    found = _OVERRIDES.search(value)
    if found:
        return f"must not contain a direction override (U+202A-U+202E, U+2066-U+2069); found U+{ord(found.group()):04X}"
    return None


def one_line_problem(value: str) -> str | None:
    """Why ``value`` is not text typed on one line (a tab, a line break, another control character, a direction
    override), or None."""
    return _written_problem(value, _CONTROL, "one line of text: no tab, no line break")


def prose_problem(value: str) -> str | None:
    """Why ``value`` is not prose (a control character other than tab and line breaks, a direction override)."""
    return _written_problem(value, _CONTROL_BUT_LINES, "tab and line breaks are allowed")


def _one_line(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    problem = text_problem(value) or one_line_problem(value)
    if problem:
        raise ValueError(problem)
    if not value:
        raise ValueError("must not be blank")
    return value


def _prose(value: str) -> str:
    value = unicodedata.normalize("NFC", value)
    problem = text_problem(value) or prose_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _non_blank_prose(value: str) -> str:
    value = _prose(value)
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def int64_problem(value: int) -> str | None:
    if INT64_MIN <= value <= INT64_MAX:
        return None
    return f"must be an integer between {INT64_MIN} and {INT64_MAX} (64 bits)"


def _text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_problem(value: str) -> str | None:
    match = _MONTH.match(value)
    if match is None:
        return f"expected a month as YYYY-MM, got {value!r}"
    if not MIN_YEAR <= int(match.group(1)) <= MAX_YEAR:
        return f"the year must be between {MIN_YEAR} and {MAX_YEAR}, got {match.group(1)}"
    return None


def _month(value: str) -> str:
    problem = month_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Text = Annotated[str, AfterValidator(_text)]
"""A string PostgreSQL can store: no NUL, no lone surrogate. Add length limits with ``Field`` as usual."""

OneLine = Annotated[str, AfterValidator(_one_line)]
"""Text typed on one line (a name, a document, a reason), stored as NFC without the spaces around it; refused when
blank or holding a control character (tab and line breaks included) or a direction override. Add ``max_length``
with ``Field``."""

Prose = Annotated[str, AfterValidator(_prose)]
"""Text that may span lines (a report, a note), stored as NFC; refused when holding a control character other than
tab and line breaks, or a direction override. May be empty; :data:`NonBlankProse` when it is required."""

NonBlankProse = Annotated[str, AfterValidator(_non_blank_prose)]
""":data:`Prose` with something in it besides whitespace."""

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
"""An integer that fits a ``BIGINT``."""

NonNegativeInt64 = Annotated[int, Field(ge=0, le=INT64_MAX)]
"""A count, position or cursor that fits a ``BIGINT``."""

Month = Annotated[
    str,
    Field(examples=["2026-03"], pattern=_MONTH.pattern, description=f"YYYY-MM, year {MIN_YEAR}..{MAX_YEAR}"),
    AfterValidator(_month),
]
"""A business month as ``YYYY-MM`` text, with a year the calendar and the payrolls can work with."""


FIRST_DAY, LAST_DAY = date(MIN_YEAR, 1, 1), date(MAX_YEAR, 12, 31)

Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
"""A business day (``YYYY-MM-DD``) within the years MIN_YEAR..MAX_YEAR."""


def check_month(value: Any) -> str:
    """For code outside pydantic: ``value`` if it is a :data:`Month`, else ValueError saying why."""
    if not isinstance(value, str):
        raise ValueError(f"expected a month as YYYY-MM, got {value!r}")
    return _month(value)
