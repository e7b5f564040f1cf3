"""Effective-dated parameters of the monthly social allowance: standard levels and category rules.

Legal source: Decree 136/2013/NĐ-CP, Decree 20/2021/NĐ-CP Art 4-6 and 25, Decree 76/2024/NĐ-CP and
docs/rules.md §2. Amount for a month = standard level (mức chuẩn) in force that month × coefficient (hệ số).

Every value here is data with a ``valid_from`` month and a legal basis, because decrees change them
(sometimes retroactively) and a province may pay more than the national minimum. The engine
(:mod:`.entitlements`) receives a :class:`Parameters` built from tables the service loads from its
database; it never reads the ``DEFAULT_*`` tuples below. Those are **seed** values only.

Seed notes (interpretations, see the report of the change that introduced them):

* Categories that Decree 20/2021 carried over from Decree 136/2013 with the same coefficients are seeded
  from 2014-01 (the first standard level), so months before 2021-07 can be computed. 5.5b and 5.7 are new
  in Decree 20/2021 and start at 2021-07.
* "Child" means under 16 and "elderly" 60+ (docs/rules.md §2). Ages are counted by month
  (:func:`.person.age_in_month`): the new age applies from the birthday month.
* Losing a category by age follows the general stop rule: the birthday month is still paid, payment
  stops from the next month (docs/rules.md: a 5.1 child "turns 16 ... paid that month, not the next").
  ``last_birthday`` records that age: 5.1/5.3 at 16, 5.2 at 22, 5.5b at 80 (so 5.5c, which starts in
  the month of the 80th birthday, follows without a gap), 5.7 at 3.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from .months import Month

__all__ = [
    "DEFAULT_CATEGORY_RULES",
    "DEFAULT_STANDARD_LEVELS",
    "RESIDENTIAL",
    "CategoryRule",
    "CoefficientBand",
    "DisabilityLevel",
    "Parameters",
    "StandardLevel",
]

RESIDENTIAL = "art25"
"""Code of the residential-care rule (Decree 20/2021 Art 25): replaces every other category."""


class DisabilityLevel(StrEnum):
    SEVERE = "severe"  # nặng
    EXTREMELY_SEVERE = "extremely_severe"  # đặc biệt nặng


def _coefficient(value: Decimal | int | str) -> Decimal:
    # Floats are refused: a coefficient like 2.5 must come in exact (Decimal, str or the DB's NUMERIC).
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"coefficient must be Decimal, int or str, got {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite() or result < 0:
        raise ValueError(f"coefficient must be a finite number >= 0, got {value!r}")
    return result


@dataclass(frozen=True, slots=True)
class StandardLevel:
    """The standard level (mức chuẩn trợ giúp xã hội) in force from ``valid_from`` on."""

    valid_from: Month
    amount: int  # VND per month
    legal_basis: str
    verify: bool = False  # docs/rules.md marks the value "(verify)"

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise ValueError(f"standard level must be a non-negative int VND, got {self.amount!r}")


@dataclass(frozen=True, slots=True)
class CoefficientBand:
    """A coefficient for an age band (``min_age`` <= age < ``below_age``) and optional disability level."""

    coefficient: Decimal
    min_age: int | None = None
    below_age: int | None = None
    disability_level: DisabilityLevel | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "coefficient", _coefficient(self.coefficient))

    def matches(self, age: int, disability_level: DisabilityLevel | None) -> bool:
        return (
            (self.min_age is None or age >= self.min_age)
            and (self.below_age is None or age < self.below_age)
            and (self.disability_level is None or self.disability_level == disability_level)
        )


@dataclass(frozen=True, slots=True)
class CategoryRule:
    """How one category (5.1 ... 5.8, Art 25) is paid, from ``valid_from`` until the next rule of the code.

    * ``bands``: the first band matching the person's age in the month (and disability level) gives
      the coefficient; no match means no payment under this category.
    * ``min_age``: eligible from the month of this birthday. ``last_birthday``: eligible through the
      month of this birthday, stopped from the next month.
    * ``starts_at_birthday``: the entitlement starts in the month of this birthday instead of the
      decision month (5.5b: 75, 5.5c: 80). ``starts_at_certificate``: starts in the month the disability
      certificate was issued (5.6).
    * ``per_child``: the coefficient is per child (5.4). ``requires_studying``: paid only while studying,
      without a gap (5.2). ``continues_as``: after ``last_birthday`` the grant continues under that code
      if its conditions hold (5.1 → 5.2).
    * ``cumulative_with``: the exception to "only the highest": this category is paid *together with*
      the highest of these (5.4 with 5.5/5.6/5.8).
    * ``child_last_birthday`` / ``child_studying_last_birthday`` (per-child rules, 5.4): a child is counted
      through the month of this birthday (16), or, in a month they study, through the month of the second one
      (22).
    * ``introduced``: the category was created by the law this rule comes from (5.5b and 5.7 by Decree
      20/2021): a grant decided before the first rule of the code gives nothing, ever.
    * ``lookback_months`` (birthday starts, 5.5c): how many months before the decision month the birthday start
      may lie; ``None`` = no limit (arrears back to the birthday month, the current reading).
    """

    code: str
    valid_from: Month
    name: str
    bands: tuple[CoefficientBand, ...]
    legal_basis: str
    min_age: int | None = None
    last_birthday: int | None = None
    starts_at_birthday: int | None = None
    starts_at_certificate: bool = False
    per_child: bool = False
    requires_studying: bool = False
    continues_as: str | None = None
    cumulative_with: frozenset[str] = field(default_factory=frozenset)
    verify: bool = False
    child_last_birthday: int | None = None
    child_studying_last_birthday: int | None = None
    introduced: bool = False
    lookback_months: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "bands", tuple(self.bands))
        object.__setattr__(self, "cumulative_with", frozenset(self.cumulative_with))
        if not self.bands:
            raise ValueError(f"category {self.code} needs at least one coefficient band")

    def band_for(self, age: int, disability_level: DisabilityLevel | None) -> CoefficientBand | None:
        return next((band for band in self.bands if band.matches(age, disability_level)), None)


class Parameters:
    """The tables the engine works with: standard levels and category rules, looked up by month."""

    def __init__(self, standard_levels: Iterable[StandardLevel], category_rules: Iterable[CategoryRule]) -> None:
        levels = sorted(standard_levels, key=lambda level: level.valid_from)
        for before, after in zip(levels, levels[1:], strict=False):
            if before.valid_from == after.valid_from:
                raise ValueError(f"two standard levels valid from {after.valid_from}")
        self.standard_levels: tuple[StandardLevel, ...] = tuple(levels)
        self._level_starts = [level.valid_from for level in levels]

        by_code: dict[str, list[CategoryRule]] = {}
        for rule in category_rules:
            by_code.setdefault(rule.code, []).append(rule)
        self._rules: dict[str, tuple[list[Month], list[CategoryRule]]] = {}
        for code, rules in by_code.items():
            rules.sort(key=lambda rule: rule.valid_from)
            starts = [rule.valid_from for rule in rules]
            if len(set(starts)) != len(starts):
                raise ValueError(f"two rules for category {code} valid from the same month")
            self._rules[code] = (starts, rules)

    @property
    def category_rules(self) -> tuple[CategoryRule, ...]:
        return tuple(rule for _, rules in self._rules.values() for rule in rules)

    def standard_level(self, month: Month) -> StandardLevel | None:
        """The standard level in force in ``month`` (``None`` before the first one)."""
        i = bisect.bisect_right(self._level_starts, month)
        return self.standard_levels[i - 1] if i else None

    def first_rule(self, code: str) -> CategoryRule | None:
        """The earliest rule recorded for ``code`` (``None`` if unknown)."""
        found = self._rules.get(code)
        return found[1][0] if found else None

    def category_rule(self, code: str, month: Month) -> CategoryRule | None:
        """The rule for ``code`` in force in ``month`` (``None`` if unknown or not yet in force)."""
        found = self._rules.get(code)
        if found is None:
            return None
        starts, rules = found
        i = bisect.bisect_right(starts, month)
        return rules[i - 1] if i else None


# --------------------------------------------------------------------------------------------------
# Seed data (docs/rules.md §2). Loaded into the registry database; never read by the engine directly.
# --------------------------------------------------------------------------------------------------

DEFAULT_STANDARD_LEVELS: tuple[StandardLevel, ...] = (
    StandardLevel(Month(2014, 1), 270_000, "Decree 136/2013/NĐ-CP"),
    StandardLevel(Month(2021, 7), 360_000, "Decree 20/2021/NĐ-CP"),
    StandardLevel(Month(2024, 7), 500_000, "Decree 76/2024/NĐ-CP"),
    # Signed after July 2026 and applied retroactively: the arrears case.
    StandardLevel(Month(2026, 7), 540_000, "Decree 335/2026 (verify)", verify=True),
)

_D = Decimal
_SINCE_2014 = Month(2014, 1)
_SINCE_2021 = Month(2021, 7)
_SEVERE, _EXTREME = DisabilityLevel.SEVERE, DisabilityLevel.EXTREMELY_SEVERE
_CARRIED = " (same coefficient since Decree 136/2013/NĐ-CP)"
_WITH_54 = frozenset({"5.5a", "5.5b", "5.5c", "5.5d", "5.6", "5.8"})

DEFAULT_CATEGORY_RULES: tuple[CategoryRule, ...] = (
    CategoryRule(
        "5.1",
        _SINCE_2014,
        "child with no source of support",
        (CoefficientBand(_D("2.5"), below_age=4), CoefficientBand(_D("1.5"), min_age=4)),
        "Decree 20/2021/NĐ-CP Art 5.1, 6.1" + _CARRIED,
        last_birthday=16,
        continues_as="5.2",
    ),
    CategoryRule(
        "5.2",
        _SINCE_2014,
        "5.1 person aged 16-22 still studying",
        (CoefficientBand(_D("1.5")),),
        "Decree 20/2021/NĐ-CP Art 5.2, 6.1" + _CARRIED,
        min_age=16,
        last_birthday=22,
        requires_studying=True,
    ),
    CategoryRule(
        "5.3",
        _SINCE_2014,
        "child with HIV in a poor household",
        (CoefficientBand(_D("2.5"), below_age=4), CoefficientBand(_D("2.0"), min_age=4)),
        "Decree 20/2021/NĐ-CP Art 5.3, 6.1" + _CARRIED,
        last_birthday=16,
    ),
    CategoryRule(
        "5.4",
        _SINCE_2014,
        "single parent of a poor or near-poor household, per child",
        (CoefficientBand(_D("1.0")),),
        "Decree 20/2021/NĐ-CP Art 5.4, 6.1, 6.2" + _CARRIED,
        per_child=True,
        cumulative_with=_WITH_54,
        child_last_birthday=16,
        child_studying_last_birthday=22,
    ),
    CategoryRule(
        "5.5a",
        _SINCE_2014,
        "elderly of a poor household with no one obliged to support them",
        (CoefficientBand(_D("1.5"), min_age=60, below_age=80), CoefficientBand(_D("2.0"), min_age=80)),
        "Decree 20/2021/NĐ-CP Art 5.5a, 6.1" + _CARRIED,
        min_age=60,
    ),
    CategoryRule(
        "5.5b",
        _SINCE_2021,
        "elderly 75-79 of a poor/near-poor household in an extremely difficult ethnic-minority area",
        (CoefficientBand(_D("1.0")),),
        "Decree 20/2021/NĐ-CP Art 5.5b, 6.1",
        min_age=75,
        last_birthday=80,
        starts_at_birthday=75,
        introduced=True,
    ),
    CategoryRule(
        "5.5c",
        _SINCE_2014,
        "aged 80+ with no pension or monthly social-insurance benefit",
        (CoefficientBand(_D("1.0")),),
        "Decree 20/2021/NĐ-CP Art 5.5c, 6.1" + _CARRIED,
        min_age=80,
        starts_at_birthday=80,
    ),
    CategoryRule(
        "5.5d",
        _SINCE_2014,
        "poor elderly with no supporter, cared for by someone in the community",
        (CoefficientBand(_D("3.0")),),
        "Decree 20/2021/NĐ-CP Art 5.5d, 6.1" + _CARRIED,
        min_age=60,
    ),
    CategoryRule(
        "5.6",
        _SINCE_2014,
        "person with a severe or extremely severe disability",
        (
            CoefficientBand(_D("2.5"), below_age=16, disability_level=_EXTREME),
            CoefficientBand(_D("2.0"), min_age=16, below_age=60, disability_level=_EXTREME),
            CoefficientBand(_D("2.5"), min_age=60, disability_level=_EXTREME),
            CoefficientBand(_D("2.0"), below_age=16, disability_level=_SEVERE),
            CoefficientBand(_D("1.5"), min_age=16, below_age=60, disability_level=_SEVERE),
            CoefficientBand(_D("2.0"), min_age=60, disability_level=_SEVERE),
        ),
        "Decree 20/2021/NĐ-CP Art 5.6, 6.1" + " (same coefficients since Decree 28/2012/NĐ-CP)",
        starts_at_certificate=True,
    ),
    CategoryRule(
        "5.7",
        _SINCE_2021,
        "child under 3 of a poor/near-poor household in an extremely difficult ethnic-minority area",
        (CoefficientBand(_D("1.5")),),
        "Decree 20/2021/NĐ-CP Art 5.7, 6.1",
        last_birthday=3,
        introduced=True,
    ),
    CategoryRule(
        "5.8",
        _SINCE_2014,
        "person with HIV of a poor household without stable income",
        (CoefficientBand(_D("1.5")),),
        "Decree 20/2021/NĐ-CP Art 5.8, 6.1" + _CARRIED,
    ),
    CategoryRule(
        RESIDENTIAL,
        _SINCE_2014,
        "resident of a social-assistance facility (instead of any other category)",
        (CoefficientBand(_D("5.0"), below_age=4), CoefficientBand(_D("4.0"), min_age=4)),
        "Decree 20/2021/NĐ-CP Art 25.1" + _CARRIED,
    ),
)
