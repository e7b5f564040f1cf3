"""Monthly support of a foster carer (Decree 20/2021/NĐ-CP Art 20). Pure, no I/O.

A family that is not the child's kin and fosters a child of allowance category 5.1 (orphaned, abandoned, no one to
rely on; child protection says which placements qualify) is paid, for every month of care, the standard level in
force that month times a coefficient:

* 2.5 up to the month before the child's 4th birthday, 1.5 from the month of the 4th birthday (a change of level
  by age applies from the month the birthday falls in, docs/rules.md §2);
* from the month the placement starts through the month it ends (the last day of care), and never after the month
  of the child's 16th birthday (a 5.1 child is paid the month it turns 16, not the next).

The payroll computes the same months set-wise from the terms stored here (``Terms``), so this module is where the
rule lives and the SQL only multiplies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

UNDER_4 = Decimal("2.5")
FROM_4 = Decimal("1.5")
RATE_CHANGE_AGE = 4
LAST_AGE = 16


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def birthday_month(birth: date, age: int) -> date:
    """The first day of the month in which a child born on ``birth`` turns ``age``."""
    return date(birth.year + age, birth.month, 1)


@dataclass(frozen=True)
class Terms:
    """The months a placement is paid: ``first_month`` through ``last_month`` (the month care ends, or the month of
    the 16th birthday, whichever comes first), 2.5 × before ``rate_change_month`` and 1.5 × from it.
    ``first_month > last_month`` means nothing is paid."""

    first_month: date
    last_month: date
    rate_change_month: date

    @property
    def payable(self) -> bool:
        return self.first_month <= self.last_month


def terms(starts_on: date, ends_on: date | None, child_birth: date) -> Terms:
    """The paid months of a placement from ``starts_on`` (through ``ends_on``, the last day of care, if ended)."""
    last = birthday_month(child_birth, LAST_AGE)
    if ends_on is not None:
        last = min(last, first_of_month(ends_on))
    return Terms(
        first_month=first_of_month(starts_on),
        last_month=last,
        rate_change_month=birthday_month(child_birth, RATE_CHANGE_AGE),
    )


def coefficient(t: Terms, month: date) -> Decimal:
    return UNDER_4 if first_of_month(month) < t.rate_change_month else FROM_4


def amount(standard_level: int, coeff: Decimal) -> int:
    """Whole VND: the level times the coefficient, half up."""
    return int((Decimal(standard_level) * coeff).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def monthly(t: Terms, month: date, standard_level: int) -> int:
    """What the carer is owed for ``month`` (0 outside the paid months)."""
    m = first_of_month(month)
    if not t.first_month <= m <= t.last_month:
        return 0
    return amount(standard_level, coefficient(t, m))
