"""Pure rules of the insurance service: groups and the one-card choice, validity dates, card codes, contributions."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.insurance.rules import card_code, cards, contributions, entitlement, validity
from services.insurance.rules.entitlement import BeneficiaryStep, Facts, HouseholdStatus, Membership, Segment, Span
from services.insurance.rules.groups import DEFAULT_GROUPS, choose

GROUPS = {g.code: g for g in DEFAULT_GROUPS}
# Deterministic in CI: the same examples on every run, nothing read from or written to a local database.
PROPERTIES = settings(max_examples=300, deadline=None, database=None, derandomize=True)

days = st.dates(date(2015, 1, 1), date(2032, 12, 31))


# --- groups ------------------------------------------------------------------------------------------------


def test_a_person_both_bt_and_hn_gets_one_bt_card():
    assert choose({"BT", "HN"}, GROUPS) == "BT"


def test_the_highest_benefit_wins_over_statutory_order():
    assert choose({"GB", "CN"}, GROUPS) == "CN"
    assert choose({"HN", "TE"}, GROUPS) == "TE"
    assert choose(set(), GROUPS) is None


# --- validity ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "last"),
    [
        (date(2020, 9, 30), date(2026, 9, 30)),  # on or before 30 September: 30 September of the 6th-birthday year
        (date(2020, 1, 15), date(2026, 9, 30)),
        (date(2020, 10, 1), date(2026, 10, 31)),  # after: the end of the month the child reaches 72 months
        (date(2019, 12, 31), date(2025, 12, 31)),
        (date(2020, 2, 29), date(2026, 9, 30)),
    ],
)
def test_child_cards_follow_the_72_month_rule(born, last):
    assert validity.child_card_valid_to(born) == last


def test_twelve_month_cards_first_card_and_renewal():
    assert validity.twelve_month_card(date(2026, 3, 10), None) == (date(2026, 3, 10), date(2027, 3, 9))
    # Renewed within the gap: continues the previous card without a hole.
    assert validity.twelve_month_card(date(2027, 4, 1), date(2027, 3, 9)) == (date(2027, 3, 10), date(2028, 3, 9))
    # A gap of 3 months or more: a first card again, from the payment date.
    assert validity.twelve_month_card(date(2027, 6, 9), date(2027, 3, 9)) == (date(2027, 6, 9), date(2028, 6, 8))


@PROPERTIES
@given(days)
def test_a_child_card_covers_the_sixth_birthday_and_never_a_seventh_year(born):
    last = validity.child_card_valid_to(born)
    sixth = validity.reaches_72_months(born)
    assert sixth <= last + timedelta(days=1)
    assert last < validity.add_months(born, 84)


# --- the decision ------------------------------------------------------------------------------------------


def test_a_child_is_te_from_birth_registration_to_the_72_month_rule():
    segs = entitlement.decide(Facts(date(2021, 3, 5), registered_on=date(2021, 3, 20)), GROUPS)
    assert segs == [Segment("TE", date(2021, 3, 20), date(2027, 10, 1))]


def test_a_beneficiary_in_a_poor_household_gets_bt_then_hn_after_termination():
    facts = Facts(
        date(1950, 1, 1),
        beneficiary_steps=[
            BeneficiaryStep("b", "approved", date(2025, 2, 1)),
            BeneficiaryStep("b", "terminated", date(2026, 1, 1)),
        ],
        memberships=[Membership("h", date(2020, 1, 1))],
        household_statuses=[HouseholdStatus("h", date(2024, 1, 1), "poor")],
    )
    assert entitlement.decide(facts, GROUPS) == [
        Segment("HN", date(2024, 1, 1), date(2025, 2, 1)),
        Segment("BT", date(2025, 2, 1), date(2026, 1, 1)),
        Segment("HN", date(2026, 1, 1), None),
    ]


def test_a_suspension_keeps_the_card_and_death_ends_everything_the_day_after():
    facts = Facts(
        date(1950, 1, 1),
        death_date=date(2026, 4, 10),
        beneficiary_steps=[
            BeneficiaryStep("b", "approved", date(2025, 2, 1)),
            BeneficiaryStep("b", "suspended", date(2025, 6, 1)),
        ],
    )
    assert entitlement.decide(facts, GROUPS) == [Segment("BT", date(2025, 2, 1), date(2026, 4, 11))]


def test_household_status_changes_move_the_members_group():
    facts = Facts(
        date(1980, 1, 1),
        memberships=[Membership("h", date(2024, 5, 1), date(2026, 1, 1))],
        household_statuses=[
            HouseholdStatus("h", date(2024, 1, 1), "near_poor"),
            HouseholdStatus("h", date(2025, 1, 1), "average_living_farming"),
            HouseholdStatus("h", date(2025, 6, 1), "none"),
        ],
    )
    assert entitlement.decide(facts, GROUPS) == [
        Segment("CN", date(2024, 5, 1), date(2025, 1, 1)),
        Segment("GB", date(2025, 1, 1), date(2025, 6, 1)),
    ]


@st.composite
def facts(draw):
    born = draw(st.dates(date(1940, 1, 1), date(2030, 12, 31)))
    registered = draw(st.none() | st.dates(born, born + timedelta(days=3000)))
    death = draw(st.none() | st.dates(born, date(2035, 1, 1)))
    steps = []
    for b in draw(st.lists(st.sampled_from(["b1", "b2"]), max_size=5)):
        steps.append(
            BeneficiaryStep(
                b,
                draw(st.sampled_from(["approved", "suspended", "reinstated", "terminated"])),
                draw(days).replace(day=1),
            )
        )
    members = []
    statuses = []
    for h in draw(st.lists(st.sampled_from(["h1", "h2"]), max_size=3)):
        joined = draw(days)
        members.append(Membership(h, joined, draw(st.none() | st.dates(joined, date(2033, 1, 1)))))
    for h in draw(st.lists(st.sampled_from(["h1", "h2"]), max_size=4)):
        statuses.append(
            HouseholdStatus(
                h, draw(days), draw(st.sampled_from(["poor", "near_poor", "average_living_farming", "none"]))
            )
        )
    recorded = []
    for g in draw(st.lists(st.sampled_from(["HS", "SV"]), max_size=2)):
        start = draw(days)
        recorded.append((g, Span(start, draw(st.none() | st.dates(start, date(2034, 1, 1))))))
    return Facts(born, registered, death, steps, members, statuses, recorded)


@PROPERTIES
@given(facts(), days)
def test_one_card_per_person_per_day_and_segments_never_overlap(f, day):
    segs = entitlement.decide(f, GROUPS)
    for a, b in zip(segs, segs[1:], strict=False):
        assert a.end is not None and a.end <= b.start  # ordered, never overlapping
        assert not (a.end == b.start and a.group == b.group)  # merged
    holding = [s for s in segs if Span(s.start, s.end).contains(day)]
    assert len(holding) <= 1
    entitled = {g for g, s in entitlement.grounds(f) if s.contains(day)}
    # The card held that day is exactly the one-card choice among the grounds held that day.
    assert (holding[0].group if holding else None) == choose(entitled, GROUPS)
    if f.death_date is not None and day > f.death_date:
        assert not holding


@PROPERTIES
@given(facts())
def test_the_decision_does_not_depend_on_the_order_of_memberships_and_recorded_grounds(f):
    shuffled = Facts(
        f.date_of_birth,
        f.registered_on,
        f.death_date,
        f.beneficiary_steps,
        list(reversed(f.memberships)),
        f.household_statuses,
        list(reversed(f.recorded)),
    )
    assert entitlement.decide(shuffled, GROUPS) == entitlement.decide(f, GROUPS)


# --- ending a card -----------------------------------------------------------------------------------------


@PROPERTIES
@given(st.none() | days, st.none() | days, st.none() | days, st.sampled_from(["", "  ", "death"]))
def test_a_later_event_never_shortens_a_paid_card_without_a_recorded_reason(valid_to, paid_through, ends_on, reason):
    result = cards.new_valid_to(valid_to, paid_through, ends_on, reason)
    if valid_to is not None:
        assert result is not None and result <= valid_to  # ending never lengthens a card
    if not reason.strip() and paid_through is not None and result is not None:
        assert result >= min(paid_through, valid_to or paid_through)
    if ends_on is None:
        assert result == valid_to


def test_a_death_ends_a_paid_card_retroactively():
    assert cards.new_valid_to(date(2026, 12, 31), date(2026, 12, 31), date(2026, 4, 10), "death") == date(2026, 4, 10)
    assert cards.new_valid_to(date(2026, 12, 31), date(2026, 12, 31), date(2026, 4, 10), "") == date(2026, 12, 31)


# --- card codes --------------------------------------------------------------------------------------------


def test_card_codes_must_match_the_group_level_and_issuing_office():
    bt = GROUPS["BT"]
    assert card_code.problems("BT2860123456789", bt, "86") == []
    assert card_code.problems("HN2860123456789", bt, "86") == ["object code HN is not the group's BT"]
    assert card_code.problems("BT3860123456789", bt, "86") == ["benefit level 3 is not the group's 2"]
    assert card_code.problems("BT2840123456789", bt, "86") == ["province 84 is not the issuing office's 86"]
    assert len(card_code.problems("BT28601234", bt, "86")) == 1
    assert card_code.parse("bt2860123456789").number == "0123456789"
    assert card_code.issuing_province(date(2025, 6, 30)) == "84"
    assert card_code.issuing_province(date(2025, 7, 1)) == "86"


# --- contributions -----------------------------------------------------------------------------------------

BASE = [
    contributions.Dated(date(2019, 7, 1), Decimal(1_490_000)),
    contributions.Dated(date(2024, 7, 1), Decimal(2_340_000)),
]
RATE = Decimal("0.045")


def test_one_card_month_is_4_5_percent_of_the_base_salary():
    assert contributions.monthly(Decimal(1_490_000), RATE) == 67_050
    # The seed's sanity check: 103,339 TE cards ≈ 75.8 bn VND ≈ 10.9 months each.
    assert round(75_823_654_050 / (103_339 * 67_050), 1) == 10.9


def test_state_groups_follow_a_new_base_salary_part_funded_ones_keep_the_paid_one():
    assert contributions.month_amount(date(2024, 8, 1), None, BASE, RATE, True) == 105_300
    assert contributions.month_amount(date(2024, 8, 1), date(2024, 3, 1), BASE, RATE, False) == 67_050
    with pytest.raises(ValueError):
        contributions.month_amount(date(2010, 1, 1), None, BASE, RATE, True)


def test_gb_household_scheme_with_the_state_share_on_top():
    full = 105_300
    parts = [contributions.split(full, Decimal("0.3"), contributions.household_factor(i)) for i in range(1, 7)]
    assert [p.total for p in parts] == [105_300, 73_710, 63_180, 52_650, 42_120, 42_120]
    assert (parts[0].state, parts[0].household) == (31_590, 73_710)
    with pytest.raises(ValueError):
        contributions.household_factor(0)


@PROPERTIES
@given(st.integers(0, 10_000_000), st.decimals(0, 1, places=3), st.integers(1, 9))
def test_state_and_household_parts_always_add_up(full, share, position):
    s = contributions.split(full, share, contributions.household_factor(position))
    assert s.state + s.household == s.total
    assert 0 <= s.state <= s.total and s.household >= 0


# --- old districts (the 2025 mapping) ----------------------------------------------------------------------


def test_a_2025_commune_is_reported_under_the_old_district_it_came_from():
    from common.territory import unit_map
    from services.insurance.rules.districts import district_name, old_district

    units = unit_map()
    assert old_district("29239", "842", units) == "842"  # recorded before the merger: as recorded
    assert old_district("29242", "", units) == "842"  # Phường Trà Vinh: 842's Phường 1, 3 and 9
    assert old_district("29398", "", units) == "842+847"  # formed across two old districts: both, never guessed
    assert old_district("29530", "", units) == "848+850"
    assert old_district("99999", "", units) == ""  # outside the mapping
    assert district_name("842+847", units) == "Thành phố Trà Vinh + Huyện Châu Thành"
    # Every new commune of the mapping lands in at least one old district.
    assert all(old_district(new, "", units) for new in units.old_of)
