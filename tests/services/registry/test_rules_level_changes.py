"""The pure rule behind registry.beneficiary.level_changed.v1: which month a birthday changes a level."""

from datetime import date
from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from services.registry.rules.death import death_date_problem, first_month_not_owed
from services.registry.rules.entitlements import Beneficiary, CategoryGrant, entitlement_in
from services.registry.rules.level_changes import (
    age_driven_change,
    boundary_ages,
    candidate_birth_ranges,
    level_of,
)
from services.registry.rules.months import Month, Period
from services.registry.rules.parameters import (
    DEFAULT_CATEGORY_RULES,
    DEFAULT_STANDARD_LEVELS,
    DisabilityLevel,
    Parameters,
)
from services.registry.rules.person import Sex

M = Month.parse
D = Decimal
PARAMS = Parameters(DEFAULT_STANDARD_LEVELS, DEFAULT_CATEGORY_RULES)
CODES = sorted({rule.code for rule in DEFAULT_CATEGORY_RULES} - {"art25"})


def change(person: Beneficiary, day: date):
    found = age_driven_change(person, PARAMS, day)
    if found is None:
        return None
    return level_of(found.before), level_of(found.after), found.after.reason


def test_elderly_5_5a_turning_80_changes_in_the_birthday_month_only():
    person = Beneficiary(date(1944, 5, 31), Sex.MALE, [CategoryGrant("5.5a", M("2021-01"))])
    assert change(person, date(2024, 4, 30)) is None
    assert change(person, date(2024, 5, 1)) == ((("5.5a", D("1.5")),), (("5.5a", D("2.0")),), None)
    assert change(person, date(2024, 6, 15)) is None
    found = age_driven_change(person, PARAMS, date(2024, 5, 20))
    assert found is not None and found.month == M("2024-05")


def test_a_standard_level_change_alone_is_not_an_age_driven_change():
    person = Beneficiary(date(1950, 3, 2), Sex.FEMALE, [CategoryGrant("5.5a", M("2021-01"))])
    assert change(person, date(2024, 7, 1)) is None  # 360,000 → 500,000, same coefficient


def test_child_5_1_turning_4_then_16_without_study():
    child = Beneficiary(date(2010, 3, 15), Sex.FEMALE, [CategoryGrant("5.1", M("2012-01"))])
    assert change(child, date(2014, 3, 1)) == ((("5.1", D("2.5")),), (("5.1", D("1.5")),), None)
    # Turning 16 in 2026-03: still paid that month, nothing from the month after.
    assert change(child, date(2026, 3, 10)) is None
    assert change(child, date(2026, 4, 1)) == ((("5.1", D("1.5")),), (), "not_studying")
    assert change(child, date(2026, 5, 1)) is None


def test_child_5_1_turning_16_while_studying_continues_as_5_2():
    child = Beneficiary(
        date(2010, 3, 15), Sex.MALE, [CategoryGrant("5.1", M("2012-01"))], studying=[Period(M("2025-09"), M("2028-06"))]
    )
    assert change(child, date(2026, 4, 1)) == ((("5.1", D("1.5")),), (("5.2", D("1.5")),), None)


def test_study_that_starts_after_the_month_following_the_16th_birthday_is_no_change_and_no_5_2():
    """The issue's case: born 1998-11, 5.1, no study when turning 16 (2014-11), studying from 2015-01. 5.1 ends
    from 2014-12 (a change then); study from 2015-01 revives nothing, so 2015-01 and later are no change."""
    child = Beneficiary(
        date(1998, 11, 1), Sex.FEMALE, [CategoryGrant("5.1", M("2014-01"))], studying=[Period(M("2015-01"))]
    )
    assert change(child, date(2014, 12, 1)) == ((("5.1", D("1.5")),), (), "not_studying")
    for day in (date(2015, 1, 1), date(2015, 2, 1), date(2018, 11, 1)):
        assert change(child, day) is None
        assert entitlement_in(child, PARAMS, Month.of(day)).amount == 0  # the engine agrees: nothing is paid
    # The same child with a later, unrelated grant: the month it starts is no "birthday change from 5.2".
    later = Beneficiary(
        date(1998, 11, 1),
        Sex.FEMALE,
        [
            CategoryGrant("5.1", M("2014-01")),
            CategoryGrant("5.6", M("2020-11"), disability_level=DisabilityLevel.SEVERE),
        ],
        studying=[Period(M("2015-01"))],
    )
    assert change(later, date(2020, 11, 1)) is None


def test_study_from_the_month_after_the_16th_birthday_month_continues_as_5_2_until_22():
    child = Beneficiary(
        date(1998, 11, 1), Sex.FEMALE, [CategoryGrant("5.1", M("2014-01"))], studying=[Period(M("2014-12"))]
    )
    assert change(child, date(2014, 12, 1)) == ((("5.1", D("1.5")),), (("5.2", D("1.5")),), None)
    assert change(child, date(2015, 1, 1)) is None
    assert change(child, date(2020, 12, 1)) == ((("5.2", D("1.5")),), (), "aged_out")


def test_5_5c_starts_in_the_month_of_turning_80():
    person = Beneficiary(date(1946, 11, 2), Sex.FEMALE, [CategoryGrant("5.5c", M("2026-01"))])
    assert change(person, date(2026, 11, 30)) == ((), (("5.5c", D("1.0")),), None)


def test_severe_disability_child_to_adult_at_16():
    person = Beneficiary(
        date(2008, 8, 8), Sex.MALE, [CategoryGrant("5.6", M("2015-01"), disability_level=DisabilityLevel.SEVERE)]
    )
    assert change(person, date(2024, 8, 1)) == ((("5.6", D("2.0")),), (("5.6", D("1.5")),), None)


def test_residential_care_coefficient_at_4():
    child = Beneficiary(
        date(2021, 2, 1), Sex.FEMALE, [CategoryGrant("5.1", M("2021-07"))], residential=[Period(M("2022-01"))]
    )
    assert change(child, date(2025, 2, 1)) == ((("art25", D("5.0")),), (("art25", D("4.0")),), None)


def test_nothing_after_death_and_nothing_while_suspended():
    dead = Beneficiary(date(1944, 5, 10), Sex.MALE, [CategoryGrant("5.5a", M("2021-01"))], death_date=date(2023, 1, 5))
    assert change(dead, date(2024, 5, 1)) is None
    suspended = Beneficiary(
        date(1944, 5, 10), Sex.MALE, [CategoryGrant("5.5a", M("2021-01"))], suspensions=[Period(M("2024-01"))]
    )
    assert change(suspended, date(2024, 5, 1)) is None


def test_boundary_ages_come_from_the_parameters():
    assert boundary_ages(PARAMS) == {3, 4, 16, 22, 60, 75, 80}


def test_death_dates():
    assert death_date_problem(date(2026, 3, 1), date(1944, 5, 10), date(2026, 3, 1)) is None
    assert "future" in (death_date_problem(date(2026, 3, 2), date(1944, 5, 10), date(2026, 3, 1)) or "")
    assert "birth" in (death_date_problem(date(1944, 5, 9), date(1944, 5, 10), date(2026, 3, 1)) or "")
    assert first_month_not_owed(date(2025, 12, 31)) == M("2026-01")


births = st.dates(date(1930, 1, 1), date(2025, 12, 31))
days = st.dates(date(2015, 1, 1), date(2030, 12, 31))
grants = st.builds(
    CategoryGrant,
    st.sampled_from(CODES),
    st.builds(Month, st.integers(2014, 2026), st.integers(1, 12)),
    disability_level=st.sampled_from(list(DisabilityLevel)),
)
months = st.builds(Month, st.integers(2014, 2030), st.integers(1, 12))
spans = st.builds(
    lambda start, length: Period(start, None if length is None else start + length),
    months,
    st.one_of(st.none(), st.integers(0, 48)),
)
# Every fact the engine reads, so that "born one month later" is checked against all of them: study with or
# without an end, residence, suspensions, a death, and grants of every category (art25 included).
people = st.builds(
    Beneficiary,
    births,
    st.sampled_from(list(Sex)),
    st.lists(st.one_of(grants, st.builds(CategoryGrant, st.just("art25"), months)), min_size=1, max_size=3).map(tuple),
    death_date=st.one_of(st.none(), st.dates(date(2015, 1, 1), date(2030, 12, 31))),
    residential=st.lists(spans, max_size=1).map(tuple),
    studying=st.lists(spans, max_size=2).map(tuple),
    suspensions=st.lists(spans, max_size=1).map(tuple),
)


# Found by hypothesis on a fresh clone (issue 12.3): turned 16 in 2014-11 without study, studying from 2015-01.
@example(
    Beneficiary(date(1998, 11, 1), Sex.FEMALE, (CategoryGrant("5.1", M("2014-01")),), studying=(Period(M("2015-01")),)),
    date(2015, 1, 1),
)
@given(people, days)
def test_a_change_is_found_only_for_birth_dates_in_the_candidate_ranges(person, day):
    """The SQL pre-filter of the job is safe: outside the ranges, the rule never finds a change."""
    ranges = candidate_birth_ranges(PARAMS, Month.of(day))
    inside = any(first <= person.date_of_birth <= last for first, last in ranges)
    if not inside:
        assert age_driven_change(person, PARAMS, day) is None


@given(people, days)
def test_a_change_says_what_is_paid_that_month_and_differs_from_before(person, day):
    found = age_driven_change(person, PARAMS, day)
    if found is not None:
        assert found.month == Month.of(day)
        assert level_of(found.before) != level_of(found.after)
        assert found.after == entitlement_in(person, PARAMS, Month.of(day))


@given(people, days)
def test_a_change_falls_in_a_birthday_month_or_the_month_after(person, day):
    if age_driven_change(person, PARAMS, day) is not None:
        assert person.date_of_birth.month in (day.month, (Month.of(day) - 1).month)
