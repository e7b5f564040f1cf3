"""Property tests of the entitlement engine and arrears (hypothesis)."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from services.registry.rules.entitlements import (
    Beneficiary,
    CategoryGrant,
    Child,
    amounts,
    arrears,
    arrears_totals,
    entitlements,
)
from services.registry.rules.months import Month, Period
from services.registry.rules.parameters import DEFAULT_CATEGORY_RULES, DisabilityLevel, Parameters, StandardLevel
from services.registry.rules.person import Sex, month_turning

CODES = sorted({rule.code for rule in DEFAULT_CATEGORY_RULES})

months = st.builds(Month, st.integers(2010, 2032), st.integers(1, 12))


@st.composite
def sometimes(draw, strategy, tenths=2):
    """``strategy`` about ``tenths``/10 of the time, else ``None``: rare events must not hide the rest."""
    return draw(strategy) if draw(st.integers(0, 9)) < tenths else None


def periods(max_length=60):
    """A period starting in any month, open-ended a fifth of the time."""
    return st.builds(
        lambda start, length: Period(start, None if length is None else start + length),
        months,
        sometimes(st.integers(0, max_length), tenths=8),
    )


# Category pools by the person's age at the decision, so that most generated grants can actually pay.
POOLS = {
    "child": ["5.1", "5.2", "5.3", "5.6", "5.7", "5.8"],
    "adult": ["5.2", "5.4", "5.6", "5.8"],
    "elderly": ["5.4", "5.5a", "5.5b", "5.5c", "5.5d", "5.6", "5.8"],
    "anyone": [*CODES, "unknown"],
}
AGES = {"child": (0, 15), "adult": (16, 59), "elderly": (60, 95), "anyone": (0, 100)}


def near(months_before, months_after):
    """An offset in months from the decision (``decided`` + offset, drawn in :func:`beneficiaries`)."""
    return st.integers(-months_before, months_after)


def shifted(decided, offset):
    return None if offset is None else decided + offset


# Every strategy below is built once, here, and the months they draw are offsets from the person's decision: a
# strategy built anew for each example (as ``decided`` changes) costs hypothesis more to set up than the engine
# costs to run, and these properties run 300 examples each. The values drawn are the same as when each example
# built its own strategies around ``decided``.
PERIODS = periods()
SHORT_PERIODS = periods(max_length=6)
DAYS = st.integers(1, 28)
GRANTS = {
    kind: st.lists(
        st.tuples(
            st.sampled_from(pool),
            near(12, 24),  # decision month
            sometimes(near(24, 24), 1),  # entitled from
            sometimes(near(0, 120)),  # lost eligibility
            sometimes(st.sampled_from(list(DisabilityLevel)), 8),
            sometimes(near(36, 6), 5),  # certificate month
        ),
        max_size=4,
    )
    for kind, pool in POOLS.items()
}
DEATH = sometimes(near(0, 120))
LOST = sometimes(near(0, 120), 1)
RESIDENTIAL = sometimes(st.lists(PERIODS, min_size=1, max_size=2), 3)
STUDYING = st.lists(PERIODS, max_size=2)
SUSPENSIONS = sometimes(st.lists(SHORT_PERIODS, min_size=1, max_size=2), 3)
CHILDREN = st.lists(
    st.tuples(
        st.uuids().map(str),
        st.tuples(st.integers(-25, 2), st.integers(1, 12), DAYS),  # birth: years from the decision's, month, day
        st.lists(PERIODS, min_size=1, max_size=2),  # raised
        st.lists(PERIODS, max_size=2),  # studying
        sometimes(st.tuples(st.integers(-2, 10), st.integers(1, 12), DAYS), 1),  # death, as the birth
    ),
    max_size=3,
)


@st.composite
def beneficiaries(draw, decided):
    kind = draw(st.sampled_from(sorted(POOLS)))
    age = draw(st.integers(*AGES[kind]))
    dob = date(decided.year - age, draw(st.integers(1, 12)), draw(DAYS))
    grants = [
        CategoryGrant(
            category=category,
            decision_month=decided + decision,
            entitled_from=shifted(decided, entitled),
            lost_eligibility_month=shifted(decided, lost),
            disability_level=level,
            certificate_month=shifted(decided, certificate),
        )
        for category, decision, entitled, lost, level, certificate in draw(GRANTS[kind])
    ]
    children = [
        Child(
            person_id=person_id,
            date_of_birth=date(decided.year + born[0], born[1], born[2]),
            raised=raised,
            studying=studying,
            death_date=None if died is None else date(decided.year + died[0], died[1], died[2]),
        )
        for person_id, born, raised, studying, died in draw(CHILDREN)
    ]
    death = shifted(decided, draw(DEATH))
    return Beneficiary(
        date_of_birth=dob,
        sex=draw(st.sampled_from(list(Sex))),
        grants=grants,
        death_date=None if death is None else death.first_day().replace(day=draw(DAYS)),
        lost_eligibility_month=shifted(decided, draw(LOST)),
        residential=draw(RESIDENTIAL) or [],
        studying=draw(STUDYING),
        suspensions=draw(SUSPENSIONS) or [],
        children=children,
    )


# Usually a level from 2010 on, so that the other rules get exercised; sometimes none before a later month.
level_tables = st.builds(
    lambda first, more: {**first, **more},
    sometimes(st.builds(lambda a: {Month(2010, 1): a}, st.integers(0, 3_000_000)), 8).map(lambda d: d or {}),
    st.dictionaries(months, st.integers(0, 3_000_000), min_size=1, max_size=4),
)


@st.composite
def cases(draw):
    """A person, a standard-level table and a range of months around the person's decisions."""
    decided = draw(months)
    person = draw(beneficiaries(decided))
    first = decided + draw(st.integers(-24, 36))
    return person, draw(level_tables), (first, first + draw(st.integers(0, 150)))


def parameters(levels: dict[Month, int]) -> Parameters:
    return Parameters([StandardLevel(m, amount, f"level {m}") for m, amount in levels.items()], DEFAULT_CATEGORY_RULES)


@given(cases())
def test_amounts_are_never_negative_and_zero_months_carry_a_reason(case):
    person, levels, span = case
    for entry in entitlements(person, parameters(levels), *span):
        assert entry.amount >= 0
        assert entry.amount == sum(line.amount for line in entry.lines)
        assert entry.payable == (entry.reason is None)


@given(cases(), st.data())
def test_raising_any_standard_level_never_lowers_any_month(case, data):
    person, levels, span = case
    raised = {m: amount + data.draw(st.integers(0, 1_000_000)) for m, amount in levels.items()}
    before = amounts(entitlements(person, parameters(levels), *span))
    after = amounts(entitlements(person, parameters(raised), *span))
    assert all(after[m] >= before[m] for m in before)


def earliest_start(person: Beneficiary) -> Month | None:
    """Independent restatement of docs/rules.md §2 "Start"."""
    starts = []
    for grant in person.grants:
        if grant.entitled_from is not None:
            starts.append(grant.entitled_from)
        elif grant.category == "5.5b":
            starts.append(month_turning(person.date_of_birth, 75))
        elif grant.category == "5.5c":
            starts.append(month_turning(person.date_of_birth, 80))
        elif grant.category == "5.6" and grant.certificate_month is not None:
            starts.append(grant.certificate_month)
        else:
            starts.append(grant.decision_month)
    return min(starts, default=None)


def last_payable(person: Beneficiary) -> Month | None:
    """Independent restatement of docs/rules.md §2 "Stop": nothing after death or loss of eligibility."""
    bounds = [Month.of(person.death_date)] if person.death_date else []
    if person.lost_eligibility_month is not None:
        bounds.append(person.lost_eligibility_month)
    if person.grants and all(g.lost_eligibility_month is not None for g in person.grants):
        bounds.append(max(g.lost_eligibility_month for g in person.grants if g.lost_eligibility_month))
    return min(bounds, default=None)


@given(cases())
def test_nothing_is_paid_before_the_start_after_the_stop_or_while_suspended(case):
    person, levels, span = case
    start, stop = earliest_start(person), last_payable(person)
    for entry in entitlements(person, parameters(levels), *span):
        if not entry.payable:
            continue
        assert start is not None and entry.month >= start
        assert stop is None or entry.month <= stop
        assert not any(entry.month in period for period in person.suspensions)


paid_maps = st.dictionaries(months, st.integers(0, 5_000_000), max_size=30)


@given(paid_maps)
def test_arrears_of_a_payroll_against_itself_is_all_zero(entitled):
    assert set(arrears(entitled, entitled).values()) <= {0}
    assert arrears_totals(arrears(entitled, entitled)) == (0, 0)


@given(paid_maps, paid_maps)
def test_arrears_is_antisymmetric_and_totals_add_up(entitled, paid):
    diff = arrears(entitled, paid)
    assert arrears(paid, entitled) == {m: -d for m, d in diff.items()}
    to_pay, to_recover = arrears_totals(diff)
    assert to_pay - to_recover == sum(entitled.values()) - sum(paid.values())
    assert arrears(entitled, {}) == dict(sorted(entitled.items()))


@given(cases())
def test_engine_arrears_against_itself_is_zero(case):
    person, levels, span = case
    entitled = amounts(entitlements(person, parameters(levels), *span))
    assert all(d == 0 for d in arrears(entitled, entitled).values())


@given(cases(), st.randoms(use_true_random=False))
def test_the_order_of_grants_never_changes_a_month_total(case, rng):
    person, levels, span = case
    shuffled = list(person.grants)
    rng.shuffle(shuffled)
    reordered = Beneficiary(
        person.date_of_birth,
        person.sex,
        shuffled,
        person.death_date,
        person.lost_eligibility_month,
        person.residential,
        person.studying,
        person.suspensions,
        person.children,
    )
    params = parameters(levels)
    assert amounts(entitlements(person, params, *span)) == amounts(entitlements(reordered, params, *span))


# --- 5.4 and the rulings of docs/rules.md §2, restated independently -----------------------------------------


def _counted(child: Child, month: Month) -> bool:
    """docs/rules.md §2: a child under 16 (through the birthday month), or 16-22 while studying, whom the parent
    raises that month."""
    if not any(month in p for p in child.raised) or month < Month.of(child.date_of_birth):
        return False
    if child.death_date is not None and month > Month.of(child.death_date):
        return False
    if month <= month_turning(child.date_of_birth, 16):
        return True
    return month <= month_turning(child.date_of_birth, 22) and any(month in p for p in child.studying)


@given(cases())
def test_a_5_4_line_counts_exactly_the_children_raised_and_is_never_a_zero_child_line(case):
    person, levels, span = case
    for entry in entitlements(person, parameters(levels), *span):
        for line in entry.lines:
            if line.category != "5.4":
                continue
            expected = [c.person_id for c in person.children if _counted(c, entry.month)]
            assert [c.person_id for c in line.counted] == expected and line.children == len(expected) >= 1
            assert line.amount == line.standard_level * len(expected)


def _without(person: Beneficiary, void) -> Beneficiary:
    return Beneficiary(
        person.date_of_birth,
        person.sex,
        [g for g in person.grants if not void(person, g)],
        person.death_date,
        person.lost_eligibility_month,
        person.residential,
        person.studying,
        person.suspensions,
        person.children,
    )


def _void(person: Beneficiary, grant: CategoryGrant) -> bool:
    """Grants the rulings make worthless: decided after the month of death; art25 as a category; 5.1 decided
    at 16 or more; 5.5b or 5.7 decided before Decree 20/2021 created them (2021-07)."""
    if person.death_date is not None and grant.decision_month > Month.of(person.death_date):
        return True
    if grant.category == "art25":
        return True
    if grant.category == "5.1" and grant.decision_month >= month_turning(person.date_of_birth, 16):
        return True
    return grant.category in ("5.5b", "5.7") and grant.decision_month < Month(2021, 7)


@given(cases())
def test_grants_the_rulings_refuse_never_change_any_amount(case):
    person, levels, span = case
    params = parameters(levels)
    assert amounts(entitlements(person, params, *span)) == amounts(entitlements(_without(person, _void), params, *span))


@given(cases())
def test_5_5b_and_5_7_are_never_paid_before_2021_07_and_art25_only_in_residence(case):
    person, levels, span = case
    for entry in entitlements(person, parameters(levels), *span):
        if entry.month < Month(2021, 7):
            assert not {"5.5b", "5.7"} & set(entry.categories)
        if "art25" in entry.categories:
            assert any(entry.month in p for p in person.residential)
