"""Alternative-care rules checked on write, and the foster carer's coefficient (pure; hypothesis)."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.child_protection.rules.placement import (
    Placement,
    PlacementKind,
    age_on,
    foster_coefficient,
    is_old_enough,
    problems,
)

FAST = settings(max_examples=200, deadline=None, database=None, derandomize=True)
births = st.dates(date(2008, 1, 1), date(2026, 12, 31))


def fields(p):
    return {x.field for x in problems(p)}


def test_kinship_for_a_young_child_needs_nothing_more():
    assert problems(Placement(PlacementKind.KINSHIP, date(2026, 5, 1), date(2022, 1, 1))) == []


def test_non_kin_placement_records_why_and_the_carer_is_20_years_older():
    child = date(2018, 6, 1)
    p = Placement(
        PlacementKind.FOSTER, date(2026, 5, 1), child, carer_birth_date=date(1999, 1, 1), child_consulted=True
    )
    assert fields(p) == {"non_kin_reason", "carer_birth_date"}
    ok = Placement(
        PlacementKind.FOSTER,
        date(2026, 5, 1),
        child,
        carer_birth_date=date(1998, 6, 1),
        non_kin_reason="grandparents deceased; no other relative",
        child_consulted=True,
    )
    assert problems(ok) == []


def test_facility_needs_a_reason_but_no_age_gap():
    p = Placement(PlacementKind.FACILITY, date(2026, 5, 1), date(2024, 1, 1), non_kin_reason="no family")
    assert problems(p) == []


def test_child_of_seven_is_consulted_and_siblings_kept_together():
    p = Placement(
        PlacementKind.KINSHIP, date(2026, 5, 1), date(2019, 5, 1), siblings_in_care=True, siblings_together=False
    )
    assert fields(p) == {"child_consulted", "siblings_reason"}
    six = Placement(PlacementKind.KINSHIP, date(2026, 4, 30), date(2019, 5, 1))
    assert problems(six) == []


def test_foster_coefficient_changes_at_four():
    child = date(2022, 3, 15)
    assert foster_coefficient(child, date(2026, 2, 1)) == Decimal("2.5")
    # From the month of the 4th birthday (15 March), not the month after it.
    assert foster_coefficient(child, date(2026, 3, 1)) == Decimal("1.5")


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(births, st.integers(0, 30 * 366))
def test_age_gap_rule_matches_whole_years(child, gap_days):
    carer = child - timedelta(days=gap_days)
    assert is_old_enough(carer, child) == (age_on(carer, child) >= 20)
    if gap_days >= 20 * 366:
        assert is_old_enough(carer, child)
    if gap_days < 20 * 365:
        assert not is_old_enough(carer, child)


@FAST
@given(births, st.integers(0, 6000), st.sampled_from(list(PlacementKind)), st.booleans())
def test_consultation_required_exactly_from_seven(child, offset, kind, consulted):
    start = child + timedelta(days=offset)
    p = Placement(
        kind,
        start,
        child,
        carer_birth_date=child - timedelta(days=25 * 366),
        non_kin_reason="none available",
        child_consulted=consulted,
    )
    assert ("child_consulted" in fields(p)) == (age_on(child, start) >= 7 and not consulted)


@FAST
@given(births, st.integers(0, 200))
def test_foster_coefficient_is_monotone(child, months):
    month = date(child.year + months // 12, (child.month - 1 + months % 12) % 12 + 1, 1)
    coeff = foster_coefficient(child, month)
    assert coeff in (Decimal("2.5"), Decimal("1.5"))
    later = date(month.year + 1, month.month, 1)
    assert foster_coefficient(child, later) <= coeff
