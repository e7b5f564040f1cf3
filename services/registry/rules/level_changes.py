"""Age-driven level changes: the month a birthday changes what a beneficiary is paid.

Legal source: Decree 20/2021/NĐ-CP Art 6-7 and docs/rules.md §2 — "Level change by age (child turns 4, elderly
turns 80): the new level applies from the month in which the birthday falls"; a category lost by age (5.1 and
5.3 at 16, 5.2 at 22, 5.5b at 80, 5.7 at 3) is still paid in the birthday month and stops (or, for 5.1, continues
as 5.2 while studying) from the month after; 5.5b starts in the month of turning 75, 5.5c in the month of
turning 80; 5.6 and the residential rule (Art 25) change coefficient at 4, 16 and 60.

**Definition.** A beneficiary has an age-driven change *effective in month M* when what the engine pays in M
(the categories and coefficients of its lines) differs from what it would pay in M had the person been born one
month later (the engine's ``age_lag=1``). Shifting the birth date by one month moves every age boundary (bands,
minimum ages, last birthdays, birthday starts) by exactly one month and changes nothing else — standard levels,
decisions, suspensions, residence and study stay the same — so a difference is a boundary that falls in M, and
the "born one month later" entitlement is the level in force before the change.

History settled by a birthday does not move with it: whether a 5.1 decision came before the 16th birthday, and
whether study went on *without a gap* from the month after the 16th-birthday month (docs/rules.md §2: continuation
as 5.2 needs study in that month; study that starts later does not revive 5.1), are judged on the real birth
date in both computations. Otherwise "born one month later" would move the study boundary too, and a child who
turned 16 without study and started studying two months later would be reported as changing in every later
month, outside any birthday. The rules are read from the
parameters, never hard-coded here: a new age band in a decree is picked up as data.

The effective month is therefore the birthday month for a new coefficient or a start, and the month after
the birthday month for an end by age. Both kinds are found from two birth months only (M and M-1) and, among
those, only the birth years whose age in that month is a boundary age of some rule:
:func:`candidate_birth_ranges` lets a database pre-select the few persons worth computing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .entitlements import Beneficiary, MonthEntitlement, entitlement_in
from .months import Month
from .parameters import Parameters

__all__ = ["LevelChange", "age_driven_change", "boundary_ages", "candidate_birth_ranges", "level_of"]

Level = tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True, slots=True)
class LevelChange:
    """What a beneficiary is paid from ``month`` (``after``) and before the birthday that changed it (``before``)."""

    month: Month
    before: MonthEntitlement
    after: MonthEntitlement


def level_of(entitlement: MonthEntitlement) -> Level:
    """The categories and coefficients paid (empty when nothing is paid): what a level change compares."""
    return tuple((line.category, line.coefficient) for line in entitlement.lines)


def age_driven_change(beneficiary: Beneficiary, parameters: Parameters, day: date) -> LevelChange | None:
    """The age-driven change effective in the month of ``day``, or None when a birthday changes nothing then."""
    month = Month.of(day)
    after = entitlement_in(beneficiary, parameters, month)
    before = entitlement_in(beneficiary, parameters, month, age_lag=1)
    if level_of(before) == level_of(after):
        return None
    return LevelChange(month, before, after)


def boundary_ages(parameters: Parameters) -> frozenset[int]:
    """Every age at which some rule (of any validity period) changes: band limits, minimum ages, last birthdays
    and birthday starts."""
    ages: set[int | None] = set()
    for rule in parameters.category_rules:
        ages.update((rule.min_age, rule.last_birthday, rule.starts_at_birthday))
        for band in rule.bands:
            ages.update((band.min_age, band.below_age))
    return frozenset(a for a in ages if a is not None and a > 0)


def candidate_birth_ranges(parameters: Parameters, month: Month) -> list[tuple[date, date]]:
    """Inclusive ranges of birth dates outside which no beneficiary can have an age-driven change in ``month``.

    A boundary age ``k`` falls in ``month`` when the person turns ``k`` in it (a new band or a start) or turned
    ``k`` the month before (an end by age): born in the calendar month ``k`` years before either month.
    """
    months = set()
    for age in boundary_ages(parameters):
        for turning in (month, month - 1):
            if turning.year - age >= 1:
                months.add(Month(turning.year - age, turning.month))
    return [(m.first_day(), m.last_day()) for m in sorted(months)]
