"""Input types every API shares: text PostgreSQL can store, integers that fit in 64 bits, business months.

PostgreSQL refuses a NUL character in ``text`` and asyncpg cannot encode a lone UTF-16 surrogate (``"\\ud800"`` in
JSON); a ``BIGINT`` holds 64 bits; Python's ``date`` has no year 0. Each of these once reached the database or the
calendar and answered 500. The types below refuse them at validation, as a 422 that names the field; the request
guard (:mod:`common.input_guard`) applies the same rules to every JSON body, form and query string before any
route runs, so a route that uses a plain ``str`` or ``int`` is protected too.

    Text          str without NUL or lone surrogates
    Int64         an integer within a signed 64-bit BIGINT
    Month         ``YYYY-MM`` with the year within MIN_YEAR..MAX_YEAR (a string)
    Day           a date within MIN_YEAR..MAX_YEAR (``0001-01-01`` and ``9999-12-31`` are valid ISO dates, but a day
                  added to or taken from them overflows Python's calendar: a 500, or a poisoned background job)
"""

from __future__ import annotations

import re
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
