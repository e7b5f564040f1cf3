"""The entitlement engine: what a beneficiary is owed for each month, and arrears against what was paid.

Legal source: Decree 20/2021/NĐ-CP Art 5-8 and 25 (monthly social allowance), docs/rules.md §2. Pure
functions: the facts of one beneficiary and the parameter tables go in, one result per month comes out.

Rules applied for a month, in this order:

1. **Death / loss of eligibility** — nothing from the month after the month of death or of the
   beneficiary's (or a grant's) loss of eligibility; that month itself is still paid.
2. **Suspension** — months inside a suspension period are not paid.
3. **Standard level** — the level in force that month; none → not paid.
4. **Each category grant** gives a line = standard level × coefficient, if in that month
   * it has started: the decision month, except 5.5b (month turning 75), 5.5c (month turning 80) and
     5.6 (month the disability certificate was issued, when known). An explicit ``entitled_from`` on
     the grant — the entitlement date written in the decision — overrides the computed start;
   * the person is within the category's ages (:class:`.parameters.CategoryRule`): ages count by month,
     so a new coefficient (child turning 4, elderly turning 80) applies from the birthday month, and a
     category lost by age (5.1 at 16) is still paid in the birthday month and stops the month after;
   * a 5.1 grant continues as 5.2 from the month after the 16th birthday month if the person is
     studying that month, and keeps going while every month since is inside a studying period, through
     the month of the 22nd birthday. The first month without study ends it (loss of eligibility). An
     explicit 5.2 grant works the same from its start month;
   * a 5.6 grant needs a disability level; the coefficient depends on it and on child (<16) / adult /
     elderly (60+) age;
   * a 5.4 grant is paid per child counted that month (:func:`children_counted`): a child of the parent's
     household under the rule's ``child_last_birthday`` (16; counted through that birthday month), or,
     in a month they study, under ``child_studying_last_birthday`` (22). No child counted: no line
     (reason ``no_child``), never a 0 VND line.

   Rulings (docs/rules.md §2, "where the decree's wording leaves room"): a grant decided in a month after the
   month of the person's death gives nothing (``deceased``); a grant of a category ``introduced`` by a later
   law (5.5b, 5.7: Decree 20/2021) decided before its first rule gives nothing (``no_rule``); a 5.1 grant
   (a rule that ``continues_as`` another) decided in or after the month of the 16th birthday gives nothing
   (``aged_out``: 5.2 is granted directly); ``art25`` is never a category of its own (``not_a_category``):
   residence alone pays nothing, and Art 25 pays only in residential months (rule 6).
5. **Several categories → only the highest** line (ties: the grant listed first), except that a 5.4
   single-parent line (coefficient × number of children) is paid together with the highest 5.5/5.6/5.8
   line when that total is higher.
6. **Residential care** — in a month inside a residential period, a person entitled under any category
   gets the Art 25 coefficient (under 4: 5.0, from 4: 4.0) *instead of* every other line.

**Output choice:** one :class:`MonthEntitlement` for *every* month of the requested range. A month not
payable has ``amount == 0``, no lines and a ``reason`` (:class:`Reason`) with a human ``detail``, so the
API can explain a zero and arrears can be computed against complete months.

**Rounding:** a line's amount is ``standard × coefficient`` computed exactly in ``Decimal`` and rounded
to the whole VND, half up (``ROUND_HALF_UP``). With the statutory values (multiples of 10,000 VND and of
0.5) the product is always whole; the rule only matters for a province's own non-round parameters.
Per-child lines round the total (``standard × 1.0 × children``), not each child.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import NamedTuple

from .months import Month, Period, merge_periods, month_range
from .parameters import RESIDENTIAL, CategoryRule, DisabilityLevel, Parameters, StandardLevel
from .person import Sex, age_in_month, month_turning

__all__ = [
    "ArrearsTotals",
    "Beneficiary",
    "CategoryGrant",
    "Child",
    "CountedChild",
    "Line",
    "MonthEntitlement",
    "Reason",
    "amount_of",
    "amounts",
    "arrears",
    "arrears_totals",
    "children_counted",
    "entitlement_in",
    "entitlements",
    "grant_start",
]


class Reason(StrEnum):
    """Why a month is not payable (or, per grant, why a grant gives no line)."""

    DECEASED = "deceased"  # after the month of death
    ELIGIBILITY_LOST = "eligibility_lost"  # after the month eligibility was lost
    SUSPENDED = "suspended"
    NO_STANDARD_LEVEL = "no_standard_level"  # no standard level in force yet
    NO_GRANT = "no_grant"  # the person holds no category grant
    BEFORE_START = "before_start"
    BELOW_AGE = "below_age"
    AGED_OUT = "aged_out"
    NOT_STUDYING = "not_studying"
    NO_RULE = "no_rule"  # no coefficient rule for the category in force that month
    NO_COEFFICIENT = "no_coefficient"  # no band fits (e.g. 5.6 without a disability level)
    NOT_ENTITLED = "not_entitled"  # grants fail for different reasons; see the detail
    NO_CHILD = "no_child"  # 5.4: no child counted that month
    NOT_A_CATEGORY = "not_a_category"  # art25 granted as if it were a category: residence alone pays nothing


# --- inputs ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CategoryGrant:
    """One category granted by an approval decision."""

    category: str  # "5.1" ... "5.8" (5.5 split into 5.5a-d)
    decision_month: Month  # month the approval decision was signed
    entitled_from: Month | None = None  # entitlement month written in the decision; overrides the rules
    lost_eligibility_month: Month | None = None  # last month of eligibility under this grant
    disability_level: DisabilityLevel | None = None  # 5.6
    certificate_month: Month | None = None  # 5.6: month the disability certificate was issued


@dataclass(frozen=True, slots=True)
class Child:
    """A child a single parent (5.4) may be raising: counted month by month (:func:`children_counted`)."""

    person_id: str
    date_of_birth: date
    raised: tuple[Period, ...]  # months the child lives in the parent's household as the parent's child
    studying: tuple[Period, ...] = ()
    death_date: date | None = None
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "raised", tuple(self.raised))
        object.__setattr__(self, "studying", tuple(self.studying))


@dataclass(frozen=True, slots=True)
class Beneficiary:
    """The facts about one person the engine needs. ``sex`` does not change any §2 amount (elderly means
    60+ for both sexes) but is part of the record checked against the national ID."""

    date_of_birth: date
    sex: Sex
    grants: tuple[CategoryGrant, ...] = ()
    death_date: date | None = None
    lost_eligibility_month: Month | None = None  # last month of eligibility for everything
    residential: tuple[Period, ...] = ()  # months living in a social-assistance facility
    studying: tuple[Period, ...] = ()  # months enrolled in school / vocational / first degree
    suspensions: tuple[Period, ...] = ()
    children: tuple[Child, ...] = ()  # the children a 5.4 grant counts

    def __post_init__(self) -> None:
        for name in ("grants", "residential", "studying", "suspensions", "children"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


# --- outputs -----------------------------------------------------------------------------------------


class CountedChild(NamedTuple):
    """A child counted in a month for a per-child line, and why: ``child`` (under the age limit) or
    ``studying`` (over it, under the studying limit, and studying that month)."""

    person_id: str
    name: str
    basis: str


@dataclass(frozen=True, slots=True)
class Line:
    """One category paid in a month."""

    category: str
    coefficient: Decimal  # for 5.4 already multiplied by the number of children
    standard_level: int  # VND
    amount: int  # VND = round_half_up(standard_level × coefficient)
    coefficient_basis: str
    standard_basis: str
    children: int | None = None  # 5.4 only
    counted: tuple[CountedChild, ...] = ()  # 5.4 only: the children counted, in the parent's list order

    @property
    def legal_basis(self) -> str:
        return f"{self.coefficient_basis}; standard level: {self.standard_basis}"


@dataclass(frozen=True, slots=True)
class MonthEntitlement:
    month: Month
    amount: int
    lines: tuple[Line, ...] = ()
    reason: Reason | None = None  # set exactly when nothing is payable
    detail: str = ""

    @property
    def payable(self) -> bool:
        return bool(self.lines)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(line.category for line in self.lines)


# --- engine ------------------------------------------------------------------------------------------


def amount_of(standard_level: int, coefficient: Decimal) -> int:
    """``standard_level × coefficient`` rounded to the whole VND, half up."""
    return int((Decimal(standard_level) * coefficient).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def grant_start(grant: CategoryGrant, rule: CategoryRule, date_of_birth: date) -> Month:
    """First month a grant can be paid under ``rule`` (before age limits and suspensions)."""
    if grant.entitled_from is not None:
        return grant.entitled_from
    if rule.starts_at_birthday is not None:
        birthday = month_turning(date_of_birth, rule.starts_at_birthday)
        if rule.lookback_months is not None:
            earliest: Month = grant.decision_month - rule.lookback_months
            return max(birthday, earliest)
        return birthday
    if rule.starts_at_certificate and grant.certificate_month is not None:
        return grant.certificate_month
    return grant.decision_month


class _Candidate(NamedTuple):
    line: Line
    rule: CategoryRule


def children_counted(children: Sequence[Child], rule: CategoryRule, month: Month) -> tuple[CountedChild, ...]:
    """The children a per-child ``rule`` counts in ``month``: raised by the parent that month, born, alive (through
    the month of death), and under ``child_last_birthday`` — counted through that birthday month — or, in a month
    they study, under ``child_studying_last_birthday`` (through that birthday month)."""
    counted = []
    for child in children:
        if not any(month in period for period in child.raised) or month < Month.of(child.date_of_birth):
            continue
        if child.death_date is not None and month > Month.of(child.death_date):
            continue
        if rule.child_last_birthday is None or month <= month_turning(child.date_of_birth, rule.child_last_birthday):
            counted.append(CountedChild(child.person_id, child.name, "child"))
        elif (
            rule.child_studying_last_birthday is not None
            and month <= month_turning(child.date_of_birth, rule.child_studying_last_birthday)
            and any(month in period for period in child.studying)
        ):
            counted.append(CountedChild(child.person_id, child.name, "studying"))
    return tuple(counted)


def _shifted(day: date, months: int) -> date:
    # Ages are counted by month (rules.person), so the day is irrelevant: the 1st is always valid.
    shifted = Month.of(day) + months
    return date(shifted.year, shifted.month, 1)


class _Engine:
    """One beneficiary against one parameter set; periods are merged once, months evaluated on demand.

    ``age_lag`` (months, for :mod:`.level_changes`): ages are counted as if the person were born that many months
    later, to compare a month with the level before a birthday. Facts settled before the month — whether a
    grant was decided before the 16th birthday, whether study went on without a gap after it — stay those of the
    real birth date: a birthday changes ages, not history."""

    def __init__(self, beneficiary: Beneficiary, parameters: Parameters, age_lag: int = 0) -> None:
        self.person = beneficiary
        self.parameters = parameters
        self.real_dob = beneficiary.date_of_birth
        self.dob = _shifted(beneficiary.date_of_birth, age_lag) if age_lag else beneficiary.date_of_birth
        self.death_month = Month.of(beneficiary.death_date) if beneficiary.death_date else None
        self.studying = merge_periods(beneficiary.studying)
        self.residential = merge_periods(beneficiary.residential)
        self.suspensions = merge_periods(beneficiary.suspensions)

    def month(self, month: Month) -> MonthEntitlement:
        person = self.person
        if self.death_month is not None and month > self.death_month:
            return _unpaid(month, Reason.DECEASED, f"died in {self.death_month}")
        if person.lost_eligibility_month is not None and month > person.lost_eligibility_month:
            return _unpaid(month, Reason.ELIGIBILITY_LOST, f"eligibility lost in {person.lost_eligibility_month}")
        if any(month in period for period in self.suspensions):
            return _unpaid(month, Reason.SUSPENDED, "payment suspended")
        standard = self.parameters.standard_level(month)
        if standard is None:
            return _unpaid(month, Reason.NO_STANDARD_LEVEL, "no standard level in force")
        if not person.grants:
            return _unpaid(month, Reason.NO_GRANT, "no category granted")

        results = [self._grant(grant, month, standard) for grant in person.grants]
        candidates = [r for r in results if isinstance(r, _Candidate)]
        if not candidates:
            reasons = [r for r in results if isinstance(r, Reason)]
            detail = "; ".join(f"{g.category}: {r.value}" for g, r in zip(person.grants, reasons, strict=True))
            reason = reasons[0] if len(set(reasons)) == 1 else Reason.NOT_ENTITLED
            return _unpaid(month, reason, detail)

        if any(month in period for period in self.residential):
            rule = self.parameters.category_rule(RESIDENTIAL, month)
            band = rule.band_for(age_in_month(self.dob, month), None) if rule else None
            if rule is None or band is None:
                return _unpaid(month, Reason.NO_RULE, "no residential-care rule in force")
            line = _line(rule, band.coefficient, standard)
            return MonthEntitlement(month, line.amount, (line,))

        chosen = _combine(candidates)
        lines = tuple(c.line for c in chosen)
        return MonthEntitlement(month, sum(line.amount for line in lines), lines)

    def _grant(self, grant: CategoryGrant, month: Month, standard: StandardLevel) -> _Candidate | Reason:
        if grant.category == RESIDENTIAL:
            return Reason.NOT_A_CATEGORY
        if self.death_month is not None and grant.decision_month > self.death_month:
            return Reason.DECEASED  # no decision may be signed after the person's recorded death
        first = self.parameters.first_rule(grant.category)
        if first is not None and first.introduced and grant.decision_month < first.valid_from:
            return Reason.NO_RULE  # decided before the law that created the category
        rule = self.parameters.category_rule(grant.category, month)
        if rule is None:
            return Reason.NO_RULE
        start = grant_start(grant, rule, self.dob)
        if month < start:
            return Reason.BEFORE_START
        if grant.lost_eligibility_month is not None and month > grant.lost_eligibility_month:
            return Reason.ELIGIBILITY_LOST
        if rule.last_birthday is not None and rule.continues_as is not None:
            real_last = month_turning(self.real_dob, rule.last_birthday)
            if grant.decision_month >= real_last:
                return Reason.AGED_OUT  # 5.1 is for a child under 16 at the decision; 5.2 is granted directly
            if month > month_turning(self.dob, rule.last_birthday):
                successor = self.parameters.category_rule(rule.continues_as, month)
                if successor is None:
                    return Reason.AGED_OUT
                # Continues "without a gap": studying from the month after the (real) last month under the first
                # rule, every month since.
                return self._apply(successor, grant, month, max(start, real_last + 1), standard)
        return self._apply(rule, grant, month, start, standard)

    def _apply(
        self, rule: CategoryRule, grant: CategoryGrant, month: Month, start: Month, standard: StandardLevel
    ) -> _Candidate | Reason:
        age = age_in_month(self.dob, month)
        if rule.min_age is not None and age < rule.min_age:
            return Reason.BELOW_AGE
        if rule.last_birthday is not None and month > month_turning(self.dob, rule.last_birthday):
            return Reason.AGED_OUT
        if rule.requires_studying and not self._studying_throughout(start, month):
            return Reason.NOT_STUDYING
        band = rule.band_for(age, grant.disability_level)
        if band is None:
            return Reason.NO_COEFFICIENT
        if rule.per_child:
            counted = children_counted(self.person.children, rule, month)
            if not counted:
                return Reason.NO_CHILD
            return _Candidate(_line(rule, band.coefficient * len(counted), standard, counted), rule)
        return _Candidate(_line(rule, band.coefficient, standard), rule)

    def _studying_throughout(self, first: Month, last: Month) -> bool:
        """Studying in every month from ``first`` through ``last`` (periods are merged, so one must hold)."""
        return any(first in period and last in period for period in self.studying)


def _line(
    rule: CategoryRule, coefficient: Decimal, standard: StandardLevel, counted: tuple[CountedChild, ...] | None = None
) -> Line:
    return Line(
        category=rule.code,
        coefficient=coefficient,
        standard_level=standard.amount,
        amount=amount_of(standard.amount, coefficient),
        coefficient_basis=rule.legal_basis,
        standard_basis=standard.legal_basis,
        children=None if counted is None else len(counted),
        counted=counted or (),
    )


def _unpaid(month: Month, reason: Reason, detail: str) -> MonthEntitlement:
    return MonthEntitlement(month, 0, (), reason, detail)


def _combine(candidates: Sequence[_Candidate]) -> list[_Candidate]:
    """Only the highest line, unless a cumulative pair (5.4 + highest of 5.5/5.6/5.8) pays more."""
    chosen = [max(candidates, key=lambda c: c.line.amount)]  # max keeps the first of equals
    best_total = chosen[0].line.amount
    for candidate in candidates:
        partners = [c for c in candidates if c.line.category in candidate.rule.cumulative_with]
        if not partners:
            continue
        partner = max(partners, key=lambda c: c.line.amount)
        total = candidate.line.amount + partner.line.amount
        if total > best_total:
            chosen, best_total = [candidate, partner], total
    return chosen


def entitlement_in(
    beneficiary: Beneficiary, parameters: Parameters, month: Month, *, age_lag: int = 0
) -> MonthEntitlement:
    """What ``beneficiary`` is entitled to in one month (``age_lag``: see :class:`_Engine`; level changes only)."""
    return _Engine(beneficiary, parameters, age_lag).month(month)


def entitlements(beneficiary: Beneficiary, parameters: Parameters, first: Month, last: Month) -> list[MonthEntitlement]:
    """One entry per month from ``first`` through ``last`` inclusive (zero entries carry a reason)."""
    engine = _Engine(beneficiary, parameters)
    return [engine.month(month) for month in month_range(first, last)]


def amounts(entries: Iterable[MonthEntitlement]) -> dict[Month, int]:
    """``{month: amount}`` of engine results, zero months included — the ``entitled`` side of arrears."""
    return {entry.month: entry.amount for entry in entries}


# --- arrears -----------------------------------------------------------------------------------------


class ArrearsTotals(NamedTuple):
    to_pay: int  # truy lĩnh: sum of the positive differences
    to_recover: int  # thu hồi: sum of the negative differences, as a positive number


def arrears(entitled: Mapping[Month, int], paid: Mapping[Month, int]) -> dict[Month, int]:
    """Per month, ``entitled - paid`` over every month in either mapping (missing = 0), in month order.

    Positive: arrears to pay in the next payroll (late decision, retroactive rate rise, upgrade).
    Negative: money to recover (paid after death or loss of eligibility, or above the entitlement).
    """
    months = sorted(set(entitled) | set(paid))
    return {month: entitled.get(month, 0) - paid.get(month, 0) for month in months}


def arrears_totals(differences: Mapping[Month, int]) -> ArrearsTotals:
    """Split per-month differences into the total to pay and the total to recover, kept apart."""
    return ArrearsTotals(
        to_pay=sum(d for d in differences.values() if d > 0),
        to_recover=-sum(d for d in differences.values() if d < 0),
    )
