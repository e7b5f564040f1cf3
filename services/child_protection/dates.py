"""Dates the service accepts: 1900-01-01 to 2100-12-31 (a time limit computed from a date at the edge of the
calendar must not overflow into a 500)."""

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

FIRST, LAST = date(1900, 1, 1), date(2100, 12, 31)

Day = Annotated[date, Field(ge=FIRST, le=LAST)]


def _sane(value: datetime) -> datetime:
    if not FIRST.year <= value.year <= LAST.year:
        raise ValueError(f"between {FIRST.year} and {LAST.year}")
    return value


Instant = Annotated[datetime, AfterValidator(_sane)]
