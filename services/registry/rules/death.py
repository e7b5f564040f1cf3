"""Recording a death: which death dates are believable, and when the allowance stops.

Legal source: Decree 20/2021/NĐ-CP Art 9 and docs/rules.md §2 — "Stop: from the month after the month of death";
money paid for later months is recovered.
"""

from __future__ import annotations

from datetime import date

from .months import Month

__all__ = ["death_date_problem", "first_month_not_owed"]


def death_date_problem(death_date: date, date_of_birth: date, today: date) -> str | None:
    """Why ``death_date`` cannot be recorded for a person born on ``date_of_birth`` (None: it can)."""
    if death_date > today:
        return f"must not be in the future (today is {today.isoformat()} in Viet Nam)"
    if death_date < date_of_birth:
        return f"must not be before the date of birth {date_of_birth.isoformat()}"
    return None


def first_month_not_owed(death_date: date) -> Month:
    """The month after the month of death: nothing of the monthly allowance is owed from it on."""
    return Month.of(death_date) + 1
