"""Card validity dates (rules.md §6): the 72-month rule of children's cards, 12-month cards of the other groups."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

GAP_MONTHS = 3
"""A gap of this many months or more since the previous card makes the next one a first card again."""


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the last day of the target month (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def reaches_72_months(date_of_birth: date) -> date:
    """The day a child reaches 72 months (the 6th birthday; 29 Feb births on 28 Feb)."""
    return add_months(date_of_birth, 72)


def child_card_valid_to(date_of_birth: date) -> date:
    """Last day of a TE card: born on or before 30 September → 30 September of the year the child reaches 72
    months; born after → the last day of the month the child reaches 72 months."""
    sixth = reaches_72_months(date_of_birth)
    if (date_of_birth.month, date_of_birth.day) <= (9, 30):
        return date(sixth.year, 9, 30)
    return month_end(sixth)


def is_first_card(previous_valid_to: date | None, starts: date) -> bool:
    """A first card: none before, or the previous one ended ``GAP_MONTHS`` months or more before ``starts``."""
    return previous_valid_to is None or add_months(previous_valid_to, GAP_MONTHS) <= starts


def twelve_month_card(paid_on: date, previous_valid_to: date | None) -> tuple[date, date]:
    """Validity (first day, last day) of a 12-month card paid on ``paid_on`` (GB and the other part-funded
    groups). A first card or one after a gap of 3 months or more runs 12 months from the payment date; a
    renewal within the gap continues the previous card without a hole (from the day after it ends)."""
    if previous_valid_to is None or is_first_card(previous_valid_to, paid_on):
        start = paid_on
    else:
        start = previous_valid_to + timedelta(days=1)
    return start, add_months(start, 12) - timedelta(days=1)
