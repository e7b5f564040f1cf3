"""Contributions (Decree 146/2018 Art 7–8; rules.md §6): 4.5% of the base salary per card and month, the GB household
scheme, and the state / household split. Integer VND, half-up rounding; no float anywhere."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

DEFAULT_HOUSEHOLD_FACTORS: tuple[Decimal, ...] = (
    Decimal("1"),
    Decimal("0.7"),
    Decimal("0.6"),
    Decimal("0.5"),
    Decimal("0.4"),
)
"""1st member of a household pays 100% of the contribution, 2nd 70%, 3rd 60%, 4th 50%, 5th and later 40%."""


def vnd(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class Dated:
    """A value in force from ``valid_from`` until the next one of the same name."""

    valid_from: date
    value: Decimal


def in_force(values: Sequence[Dated], day: date) -> Decimal | None:
    best = None
    for v in values:
        if v.valid_from <= day and (best is None or v.valid_from > best.valid_from):
            best = v
    return None if best is None else best.value


def monthly(base_salary: Decimal, rate: Decimal) -> int:
    """One card-month: rate × base salary (4.5% × 1,490,000 = 67,050)."""
    return vnd(base_salary * rate)


def household_factor(position: int, factors: Sequence[Decimal] = DEFAULT_HOUSEHOLD_FACTORS) -> Decimal:
    """The share of a full contribution the ``position``-th member (1-based) of a GB household pays."""
    if position < 1:
        raise ValueError("positions start at 1")
    return factors[min(position, len(factors)) - 1]


@dataclass(frozen=True, slots=True)
class Split:
    total: int
    state: int
    household: int


def split(full: int, state_share: Decimal, factor: Decimal = Decimal(1)) -> Split:
    """A member's contribution (``full`` × household ``factor``) and who pays it: the state ``state_share`` of it,
    the household the rest. ``state + household == total`` always."""
    total = vnd(Decimal(full) * factor)
    state = min(total, vnd(Decimal(total) * state_share))
    return Split(total, state, total - state)


def month_amount(
    month: date, paid_on: date | None, base_salaries: Sequence[Dated], rate: Decimal, fully_state_funded: bool
) -> int:
    """A card-month's full contribution. 100%-state groups follow the base salary in force that month (a new base
    salary applies from its date); part-funded groups keep the base salary in force on ``paid_on``."""
    day = month if fully_state_funded or paid_on is None else paid_on
    base = in_force(base_salaries, day)
    if base is None:
        raise ValueError(f"no base salary in force on {day}")
    return monthly(base, rate)
