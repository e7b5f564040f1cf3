"""Payroll periods and business months. Pure functions, no I/O.

A business month is stored as the first day of the month (``date``) and written ``YYYY-MM``. A monthly
programme's payroll period is one month (``2026-03``); electricity support is paid quarterly
(Decision 28/2014/QĐ-TTg), so its period is a quarter (``2026-Q1`` = January–March).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from common.types import MAX_YEAR, MIN_YEAR

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


def _year(text: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}, got {text}")
    return year


def parse_month(text: str) -> date:
    """``"2026-03"`` → ``date(2026, 3, 1)``; ValueError for anything else (also a year outside
    ``MIN_YEAR..MAX_YEAR``, such as ``0000``)."""
    match = _MONTH.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
    return date(_year(match.group(1)), int(match.group(2)), 1)


def month_text(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class Period:
    """A payroll period: its text and its first and last month (first days of those months)."""

    text: str
    first: date
    last: date


def parse_period(text: str, frequency: Frequency) -> Period:
    """``"2026-03"`` for a monthly programme, ``"2026-Q1"`` for a quarterly one; ValueError otherwise."""
    if frequency is Frequency.MONTHLY:
        try:
            month = parse_month(text)
        except ValueError:
            raise ValueError(f"this programme is paid monthly: expected YYYY-MM, got {text!r}") from None
        return Period(text, month, month)
    match = _QUARTER.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"this programme is paid quarterly: expected YYYY-Qn (n = 1..4), got {text!r}")
    first = date(_year(match.group(1)), 3 * int(match.group(2)) - 2, 1)
    return Period(text, first, add_months(first, 2))
