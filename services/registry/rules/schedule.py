"""A beneficiary's entitlement schedule: the engine's months compressed into periods of equal payment.

The payments service never calls the registry while it builds a payroll: it keeps a copy of each
beneficiary's schedule, sent as an event whenever the schedule changes (a decision, an admission to a
centre, a corrected date of birth, a new standard level applied retroactively). A schedule lists only
payable months; a month in no period is owed nothing. Age transitions (turning 4, 16, 80 …) are already
in it as period boundaries, so nothing needs to be re-sent when a birthday comes.

Pure functions: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .entitlements import MonthEntitlement
from .months import Month


@dataclass(frozen=True, slots=True)
class SchedulePeriod:
    first: Month
    last: Month | None
    """None: open-ended (the schedule reached its horizon still paying this)."""
    amount: int
    category: str
    """The first category paid (several only for the cumulative single-parent case)."""
    coefficient: Decimal
    standard_level: int
    categories: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "from": str(self.first),
            "to": str(self.last) if self.last else None,
            "amount": self.amount,
            "category": self.category,
            "coefficient": str(self.coefficient),
            "standard_level": self.standard_level,
            "categories": list(self.categories),
        }


def _key(e: MonthEntitlement) -> tuple[Any, ...]:
    return (e.amount, tuple((line.category, line.coefficient, line.standard_level) for line in e.lines))


def compress(entries: Iterable[MonthEntitlement], *, open_ended_after: Month | None = None) -> list[SchedulePeriod]:
    """Consecutive payable months with the same amount and lines become one period; months with nothing
    payable end a period and appear in none. A period still running at ``open_ended_after`` (the horizon
    computed) is open-ended."""
    periods: list[SchedulePeriod] = []
    run: list[MonthEntitlement] = []

    def close() -> None:
        if not run:
            return
        head, tail = run[0], run[-1]
        line = head.lines[0]
        last = None if open_ended_after is not None and tail.month >= open_ended_after else tail.month
        periods.append(
            SchedulePeriod(
                head.month,
                last,
                head.amount,
                line.category,
                line.coefficient,
                line.standard_level,
                tuple(x.category for x in head.lines),
            )
        )
        run.clear()

    for entry in entries:
        if not entry.payable or entry.amount <= 0:
            close()
            continue
        if run and (_key(run[-1]) != _key(entry) or entry.month != run[-1].month + 1):
            close()
        run.append(entry)
    close()
    return periods


def amount_in(periods: Iterable[SchedulePeriod], month: Month) -> int:
    """What a schedule pays in ``month`` (0 when no period covers it)."""
    for p in periods:
        if p.first <= month and (p.last is None or month <= p.last):
            return p.amount
    return 0


def fingerprint(periods: Iterable[SchedulePeriod], **facts: Any) -> str:
    """A stable digest of a schedule and the facts sent with it: equal digests, nothing to re-send."""
    body = json.dumps({"periods": [p.as_json() for p in periods], **facts}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()
