"""Sex and age of a person, counted the way the allowance rules count them: by month.

Legal source: Decree 20/2021/NĐ-CP Art 6-8 and docs/rules.md §2 — "the new level applies from the month in
which the birthday falls" (a child turning 4, an elderly person turning 80) and a 5.1 child "turns 16
... that month". So a person's age *in a month* is the age they reach by the end of that month: in the
month of their N-th birthday they count as N, whatever the day. A 29 February birthday falls in
February every year, so no leap-year special case is needed.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from .months import Month

__all__ = ["Sex", "age_in_month", "month_turning"]


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


def age_in_month(date_of_birth: date, month: Month) -> int:
    """Age in completed years counted by month: the birthday month already counts as the new age."""
    return month.year - date_of_birth.year - (1 if month.month < date_of_birth.month else 0)


def month_turning(date_of_birth: date, age: int) -> Month:
    """The month in which the person has their ``age``-th birthday."""
    return Month(date_of_birth.year + age, date_of_birth.month)
