"""Business months (``YYYY-MM``) and inclusive month periods.

Legal source: the monthly social allowance is granted, changed and stopped by whole calendar months
(Decree 20/2021/NĐ-CP Art 6-8: "from the month the decision is signed", "from the month in which the
birthday falls", "from the month after the month of death"). docs/architecture.md: business months are ``YYYY-MM``
in Asia/Ho_Chi_Minh.

``Month`` is an immutable, ordered value: ``Month(2024, 7) + 1 == Month.parse("2024-08")``,
``Month(2024, 7) - Month(2023, 7) == 12``, ``str(Month(2024, 7)) == "2024-07"``. It validates and
serialises as the string ``"YYYY-MM"`` when used in a pydantic model.

``Period`` is an inclusive run of months with an optional open end (a residence, a suspension, a study).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from common.clock import VIETNAM_TZ

__all__ = ["Month", "Period", "month_of", "month_range", "merge_periods", "VIETNAM_TZ"]

# Viet Nam keeps UTC+7 all year (no daylight saving), so a fixed offset needs no tz database.

_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar month. Ordering follows time; ``+``/``-`` with an int move by whole months."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not 1 <= self.year <= 9999:
            raise ValueError(f"year must be an integer 1..9999, got {self.year!r}")
        if isinstance(self.month, bool) or not isinstance(self.month, int) or not 1 <= self.month <= 12:
            raise ValueError(f"month must be an integer 1..12, got {self.month!r}")

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse exactly ``YYYY-MM`` (zero-padded), e.g. ``"2024-07"``."""
        match = _PATTERN.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, value: date | datetime) -> Month:
        """The business month of a date; an aware datetime is first converted to Viet Nam time."""
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(VIETNAM_TZ)
        return cls(value.year, value.month)

    @classmethod
    def from_index(cls, index: int) -> Month:
        """Inverse of :attr:`index`."""
        year, month0 = divmod(index, 12)
        return cls(year, month0 + 1)

    # --- views --------------------------------------------------------------------------------

    @property
    def index(self) -> int:
        """Months since year 0: consecutive months have consecutive indexes."""
        return self.year * 12 + self.month - 1

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __repr__(self) -> str:
        return f"Month({str(self)!r})"

    # --- arithmetic ---------------------------------------------------------------------------

    def __add__(self, months: int) -> Month:
        if isinstance(months, bool) or not isinstance(months, int):
            return NotImplemented
        return Month.from_index(self.index + months)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        """``Month - int`` is a month; ``Month - Month`` is the number of months between them."""
        if isinstance(other, Month):
            return self.index - other.index
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        return Month.from_index(self.index - other)

    def range_to(self, last: Month) -> Iterator[Month]:
        """This month through ``last`` inclusive (empty when ``last`` is earlier)."""
        return month_range(self, last)

    # --- pydantic -----------------------------------------------------------------------------

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        def validate(value: Any) -> Month:
            if isinstance(value, Month):
                return value
            if isinstance(value, str):
                return cls.parse(value)
            raise ValueError("expected a month as YYYY-MM")

        return core_schema.no_info_plain_validator_function(
            validate,
            json_schema_input_schema=core_schema.str_schema(pattern=_PATTERN.pattern),
            serialization=core_schema.to_string_ser_schema(),
        )


def month_of(value: date | datetime) -> Month:
    """The business month of a date (see :meth:`Month.of`)."""
    return Month.of(value)


def month_range(first: Month, last: Month) -> Iterator[Month]:
    """Every month from ``first`` through ``last`` inclusive, in order."""
    for index in range(first.index, last.index + 1):
        yield Month.from_index(index)


@dataclass(frozen=True, slots=True)
class Period:
    """Months ``start`` through ``end`` inclusive; ``end=None`` means still running."""

    start: Month
    end: Month | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, month: object) -> bool:
        if not isinstance(month, Month):
            return False
        return self.start <= month and (self.end is None or month <= self.end)


def merge_periods(periods: Iterable[Period]) -> list[Period]:
    """Sorted, disjoint periods covering the same months; overlapping or adjacent periods are joined."""
    merged: list[Period] = []
    for period in sorted(periods, key=lambda p: p.start):
        if merged:
            last = merged[-1]
            if last.end is None or period.start <= last.end + 1:
                if last.end is not None and (period.end is None or period.end > last.end):
                    merged[-1] = Period(last.start, period.end)
                continue
        merged.append(period)
    return merged
