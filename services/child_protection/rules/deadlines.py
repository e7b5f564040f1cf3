"""Time limits of case management (Decree 56/2017/NĐ-CP) and of alternative care. Pure: no I/O, no clock.

Two kinds of limit:

* **clock hours** — emergency action after a report and the decision on a temporary separation: 12 hours
  from the instant that starts them, nights, weekends and holidays included (children are not safe on
  Sundays either); a separation lasts at most 15 calendar days;
* **working days** — a support plan is drafted within 5 working days of the detailed assessment and
  approved within 2 working days of the draft. A working day is Monday to Friday and not a public holiday;
  the holidays (Tết and the others, whose dates move with the lunar calendar) are data an administrator
  maintains per year, handed in here as a :class:`Calendar`. The day that starts the limit does not count:
  a plan assessed on Friday is due by the end of the fifth working day after it.

A deadline expressed in days ends at the end of its last day in Viet Nam, i.e. it is the instant of midnight
that starts the next day (``due_at``): a step done before that instant is on time.

Carers in alternative care report 6 months after the placement starts and then every year of it
(12, 24, 36 … months after the start).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

EMERGENCY_HOURS = 12
"""Emergency action after a report (initial risk assessment, Form 02)."""
SEPARATION_DECISION_HOURS = 12
"""The chairman's decision on a temporary separation from the carer (Form 07)."""
SEPARATION_MAX_DAYS = 15
"""The longest a temporary separation may last."""
PLAN_DRAFT_WORKING_DAYS = 5
PLAN_APPROVAL_WORKING_DAYS = 2
CARER_FIRST_REPORT_MONTHS = 6
CARER_REPORT_EVERY_MONTHS = 12


class Step(StrEnum):
    """The time-limited steps; each open limit of a case or placement is one deadline of a step."""

    EMERGENCY_ACTION = "emergency_action"
    PLAN_DRAFT = "plan_draft"
    PLAN_APPROVAL = "plan_approval"
    SEPARATION_DECISION = "separation_decision"
    SEPARATION_END = "separation_end"
    CARER_REPORT = "carer_report"


@dataclass(frozen=True)
class Calendar:
    """Working days: Monday–Friday except ``holidays`` (public holidays as dated for each year)."""

    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself never counts); ``n`` ≥ 1."""
        if n < 1:
            raise ValueError("n must be at least 1")
        day = start
        left = n
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many :meth:`add_working_days` steps lead from ``start`` to ``end``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The deadline instant of a limit that runs to the end of ``day`` in ``tz``: the next day's midnight."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def after_hours(start: datetime, hours: int) -> datetime:
    if start.tzinfo is None:
        raise ValueError("an aware instant is needed")
    return start + timedelta(hours=hours)


def emergency_action_due(reported_at: datetime) -> datetime:
    return after_hours(reported_at, EMERGENCY_HOURS)


def separation_decision_due(assessed_at: datetime) -> datetime:
    return after_hours(assessed_at, SEPARATION_DECISION_HOURS)


def _local_day(instant: datetime, tz: tzinfo) -> date:
    if instant.tzinfo is None:
        raise ValueError("an aware instant is needed")
    return instant.astimezone(tz).date()


def plan_draft_due(assessed_at: datetime, calendar: Calendar, tz: tzinfo) -> datetime:
    """End of the 5th working day after the day of the detailed assessment."""
    day = calendar.add_working_days(_local_day(assessed_at, tz), PLAN_DRAFT_WORKING_DAYS)
    return end_of_day(day, tz)


def plan_approval_due(drafted_at: datetime, calendar: Calendar, tz: tzinfo) -> datetime:
    """End of the 2nd working day after the day the plan was submitted for approval."""
    day = calendar.add_working_days(_local_day(drafted_at, tz), PLAN_APPROVAL_WORKING_DAYS)
    return end_of_day(day, tz)


def separation_last_day(starts_on: date) -> date:
    """The last day a separation starting on ``starts_on`` may last (day 15)."""
    return starts_on + timedelta(days=SEPARATION_MAX_DAYS - 1)


def separation_problem(starts_on: date, ends_on: date) -> str | None:
    """Why a separation from ``starts_on`` to ``ends_on`` (both included) is not allowed; None when it is."""
    if ends_on < starts_on:
        return "ends before it starts"
    if ends_on > separation_last_day(starts_on):
        return (
            f"a temporary separation lasts at most {SEPARATION_MAX_DAYS} days: "
            f"from {starts_on.isoformat()} it ends by {separation_last_day(starts_on).isoformat()}"
        )
    return None


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months; the 31st becomes the month's last day where there is none."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def carer_report_due(starts_on: date, reports_made: int) -> date:
    """When the carer's next report is due, after ``reports_made`` reports: 6 months after the start, then on
    each anniversary of the start (12, 24, … months)."""
    if reports_made < 0:
        raise ValueError("reports_made must be ≥ 0")
    if reports_made == 0:
        return add_months(starts_on, CARER_FIRST_REPORT_MONTHS)
    return add_months(starts_on, CARER_REPORT_EVERY_MONTHS * reports_made)


def status_of(due_at: datetime, met_at: datetime | None, now: datetime) -> str:
    """``on_time`` / ``late`` once met; ``overdue`` / ``open`` while not."""
    if met_at is not None:
        return "on_time" if met_at < due_at else "late"
    return "overdue" if now >= due_at else "open"
