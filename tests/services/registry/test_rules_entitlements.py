"""Worked examples of docs/rules.md §2 with real numbers and the seed parameter tables."""

from datetime import date
from decimal import Decimal

import pytest

from services.registry.rules.entitlements import (
    Beneficiary,
    CategoryGrant,
    Child,
    Reason,
    amount_of,
    amounts,
    entitlement_in,
    entitlements,
)
from services.registry.rules.months import Month, Period
from services.registry.rules.parameters import (
    DEFAULT_CATEGORY_RULES,
    DEFAULT_STANDARD_LEVELS,
    RESIDENTIAL,
    DisabilityLevel,
    Parameters,
)
from services.registry.rules.person import Sex

PARAMS = Parameters(DEFAULT_STANDARD_LEVELS, DEFAULT_CATEGORY_RULES)
M = Month.parse
SEVERE, EXTREME = DisabilityLevel.SEVERE, DisabilityLevel.EXTREMELY_SEVERE


def table(person, first, last):
    """{"YYYY-MM": amount} for a range, for compact expectations."""
    return {str(month): amount for month, amount in amounts(entitlements(person, PARAMS, M(first), M(last))).items()}


def at(person, month):
    return entitlement_in(person, PARAMS, M(month))


def kids(n, born=date(2015, 6, 1)):
    """``n`` children raised by the parent since their birth, all under 16 through 2031."""
    return tuple(Child(f"child-{i}", born, (Period(Month.of(born)),), name=f"Con {i}") for i in range(n))


# --- 5.1 child: start, age step at 4, standard level changes, 16th birthday, 5.2 continuation -----------

CHILD = Beneficiary(date(2020, 3, 15), Sex.FEMALE, [CategoryGrant("5.1", M("2021-01"))])


@pytest.mark.parametrize(
    ("month", "amount", "coefficient", "standard"),
    [
        ("2021-01", 675_000, "2.5", 270_000),  # decision month, Decree 136/2013 level
        ("2021-06", 675_000, "2.5", 270_000),
        ("2021-07", 900_000, "2.5", 360_000),  # Decree 20/2021 level
        ("2024-02", 900_000, "2.5", 360_000),
        ("2024-03", 540_000, "1.5", 360_000),  # turns 4 on 15 March: new coefficient from that month
        ("2024-06", 540_000, "1.5", 360_000),
        ("2024-07", 750_000, "1.5", 500_000),  # Decree 76/2024 level
        ("2026-06", 750_000, "1.5", 500_000),
        ("2026-07", 810_000, "1.5", 540_000),  # 2026 level (verify)
        ("2036-03", 810_000, "1.5", 540_000),  # turns 16: still paid that month
    ],
)
def test_child_5_1_worked_example(month, amount, coefficient, standard):
    entry = at(CHILD, month)
    assert entry.amount == amount
    (line,) = entry.lines
    assert (line.category, line.coefficient, line.standard_level) == ("5.1", Decimal(coefficient), standard)
    assert "Art 5.1" in line.legal_basis


def test_child_5_1_not_paid_before_decision_month():
    entry = at(CHILD, "2020-12")
    assert (entry.amount, entry.reason) == (0, Reason.BEFORE_START)


def test_child_5_1_stops_the_month_after_turning_16_when_not_studying():
    assert table(CHILD, "2036-02", "2036-05") == {"2036-02": 810_000, "2036-03": 810_000, "2036-04": 0, "2036-05": 0}
    assert at(CHILD, "2036-04").reason == Reason.NOT_STUDYING


def test_child_studying_continues_as_5_2_without_gap_until_22():
    student = Beneficiary(CHILD.date_of_birth, CHILD.sex, CHILD.grants, studying=[Period(M("2034-09"), M("2045-06"))])
    assert at(student, "2036-03").categories == ("5.1",)
    entry = at(student, "2036-04")
    assert entry.categories == ("5.2",) and entry.amount == 810_000  # 1.5 × 540,000
    assert at(student, "2042-03").amount == 810_000  # month of the 22nd birthday
    assert (at(student, "2042-04").amount, at(student, "2042-04").reason) == (0, Reason.AGED_OUT)


def test_5_2_ends_at_the_first_month_without_study():
    student = Beneficiary(
        CHILD.date_of_birth,
        CHILD.sex,
        CHILD.grants,
        studying=[Period(M("2035-09"), M("2036-05")), Period(M("2036-09"), M("2040-06"))],
    )
    assert table(student, "2036-04", "2036-10") == {
        "2036-04": 810_000,
        "2036-05": 810_000,
        "2036-06": 0,
        "2036-07": 0,
        "2036-08": 0,
        "2036-09": 0,
        "2036-10": 0,
    }


def test_5_2_needs_study_in_the_month_right_after_turning_16():
    late = Beneficiary(CHILD.date_of_birth, CHILD.sex, CHILD.grants, studying=[Period(M("2036-05"), M("2040-06"))])
    assert table(late, "2036-03", "2036-06") == {"2036-03": 810_000, "2036-04": 0, "2036-05": 0, "2036-06": 0}


def test_explicit_5_2_grant_from_its_decision_month():
    student = Beneficiary(
        date(2008, 1, 10), Sex.MALE, [CategoryGrant("5.2", M("2025-03"))], studying=[Period(M("2024-09"), None)]
    )
    assert table(student, "2025-02", "2025-03") == {"2025-02": 0, "2025-03": 750_000}


# --- elderly: level change at 80, death ---------------------------------------------------------------

ELDER = Beneficiary(date(1944, 5, 20), Sex.MALE, [CategoryGrant("5.5a", M("2023-01"))], death_date=date(2025, 2, 10))


def test_elderly_turning_80_gets_the_higher_coefficient_from_the_birthday_month():
    assert table(ELDER, "2022-12", "2024-08") == {
        "2022-12": 0,
        **{str(m): 540_000 for m in M("2023-01").range_to(M("2024-04"))},  # 1.5 × 360,000
        "2024-05": 720_000,  # turns 80 on 20 May: 2.0 × 360,000
        "2024-06": 720_000,
        "2024-07": 1_000_000,  # 2.0 × 500,000
        "2024-08": 1_000_000,
    }


def test_death_stops_payment_from_the_next_month():
    assert table(ELDER, "2025-01", "2025-04") == {
        "2025-01": 1_000_000,
        "2025-02": 1_000_000,
        "2025-03": 0,
        "2025-04": 0,
    }
    assert at(ELDER, "2025-03").reason == Reason.DECEASED


def test_loss_of_eligibility_of_a_grant_and_of_the_person():
    grant_lost = Beneficiary(
        date(1950, 1, 1), Sex.FEMALE, [CategoryGrant("5.5a", M("2024-01"), lost_eligibility_month=M("2024-09"))]
    )
    assert table(grant_lost, "2024-09", "2024-10") == {"2024-09": 750_000, "2024-10": 0}
    assert at(grant_lost, "2024-10").reason == Reason.ELIGIBILITY_LOST
    person_lost = Beneficiary(
        date(1950, 1, 1), Sex.FEMALE, [CategoryGrant("5.5a", M("2024-01"))], lost_eligibility_month=M("2024-09")
    )
    assert table(person_lost, "2024-09", "2024-10") == {"2024-09": 750_000, "2024-10": 0}


def test_5_5b_starts_the_month_of_turning_75_and_hands_over_to_5_5c_at_80():
    person = Beneficiary(
        date(1948, 9, 10),
        Sex.FEMALE,
        [CategoryGrant("5.5b", M("2023-11")), CategoryGrant("5.5c", M("2028-06"))],
    )
    got = table(person, "2023-08", "2023-11")
    assert got == {"2023-08": 0, "2023-09": 360_000, "2023-10": 360_000, "2023-11": 360_000}  # 1.0 × 360,000
    assert at(person, "2028-08").categories == ("5.5b",)
    assert at(person, "2028-09").categories == ("5.5b",)  # both pay 1.0 in the 80th birthday month: one only
    assert at(person, "2028-09").amount == 540_000
    assert at(person, "2028-10").categories == ("5.5c",)


def test_5_5c_decided_before_80_starts_at_80():
    person = Beneficiary(date(1946, 2, 1), Sex.MALE, [CategoryGrant("5.5c", M("2025-11"))])
    assert table(person, "2026-01", "2026-02") == {"2026-01": 0, "2026-02": 500_000}


def test_entitlement_date_written_in_the_decision_overrides_the_computed_start():
    person = Beneficiary(date(1940, 2, 1), Sex.MALE, [CategoryGrant("5.5c", M("2024-10"), entitled_from=M("2024-09"))])
    assert table(person, "2024-08", "2024-09") == {"2024-08": 0, "2024-09": 500_000}


# --- disability ---------------------------------------------------------------------------------------


def test_disability_starts_in_the_certificate_month_and_follows_age():
    child = Beneficiary(
        date(2015, 6, 1),
        Sex.MALE,
        [CategoryGrant("5.6", M("2023-05"), disability_level=EXTREME, certificate_month=M("2023-03"))],
    )
    assert table(child, "2023-02", "2023-03") == {"2023-02": 0, "2023-03": 900_000}  # 2.5 × 360,000
    assert at(child, "2024-07").amount == 1_250_000  # 2.5 × 500,000
    assert at(child, "2031-05").amount == 1_350_000  # child: 2.5 × 540,000
    assert at(child, "2031-06").amount == 1_080_000  # turns 16: adult, 2.0 × 540,000


def test_disability_without_certificate_month_starts_at_the_decision():
    adult = Beneficiary(date(1990, 1, 1), Sex.MALE, [CategoryGrant("5.6", M("2024-09"), disability_level=SEVERE)])
    assert table(adult, "2024-08", "2024-09") == {"2024-08": 0, "2024-09": 750_000}


def test_disability_without_level_is_not_payable():
    adult = Beneficiary(date(1990, 1, 1), Sex.MALE, [CategoryGrant("5.6", M("2024-09"))])
    assert at(adult, "2024-10").reason == Reason.NO_COEFFICIENT


# --- several categories -------------------------------------------------------------------------------


def test_single_parent_5_4_is_paid_together_with_disability_5_6():
    mother = Beneficiary(
        date(1990, 1, 1),
        Sex.FEMALE,
        [
            CategoryGrant("5.4", M("2024-09")),
            CategoryGrant("5.6", M("2024-09"), disability_level=SEVERE, certificate_month=M("2024-05")),
        ],
        children=kids(2),
    )
    assert table(mother, "2024-04", "2024-09") == {
        "2024-04": 0,
        "2024-05": 540_000,
        "2024-06": 540_000,  # 5.6 from the certificate: 1.5 × 360,000
        "2024-07": 750_000,
        "2024-08": 750_000,  # 1.5 × 500,000
        "2024-09": 1_750_000,  # 5.4: 2 children × 1.0 × 500,000 + 5.6: 1.5 × 500,000
    }
    entry = at(mother, "2026-07")
    assert entry.categories == ("5.4", "5.6")
    assert [(line.coefficient, line.amount, line.children) for line in entry.lines] == [
        (Decimal("2.0"), 1_080_000, 2),
        (Decimal("1.5"), 810_000, None),
    ]
    assert entry.amount == 1_890_000


def test_5_4_takes_only_the_highest_of_its_partners():
    father = Beneficiary(
        date(1960, 1, 1),
        Sex.MALE,
        [
            CategoryGrant("5.4", M("2024-07")),
            CategoryGrant("5.5a", M("2024-07")),
            CategoryGrant("5.8", M("2024-07")),
            CategoryGrant("5.6", M("2024-07"), disability_level=EXTREME),
        ],
        children=kids(1),
    )
    entry = at(father, "2024-07")
    assert entry.categories == ("5.4", "5.6")  # 5.6 elderly extremely severe 2.5 beats 5.5a/5.8 1.5
    assert entry.amount == 500_000 + 1_250_000


def test_otherwise_only_the_highest_category():
    person = Beneficiary(
        date(1950, 6, 1),
        Sex.FEMALE,
        [
            CategoryGrant("5.5a", M("2024-07")),
            CategoryGrant("5.8", M("2024-07")),
            CategoryGrant("5.6", M("2024-07"), disability_level=EXTREME),
        ],
    )
    entry = at(person, "2024-07")
    assert entry.categories == ("5.6",) and entry.amount == 1_250_000


def test_ties_keep_the_grant_listed_first():
    person = Beneficiary(
        date(1950, 6, 1), Sex.FEMALE, [CategoryGrant("5.8", M("2024-07")), CategoryGrant("5.5a", M("2024-07"))]
    )
    assert at(person, "2024-07").categories == ("5.8",)


@pytest.mark.parametrize(("children", "expected"), [(1, ("5.2",)), (3, ("5.4",))])
def test_5_4_is_not_cumulative_with_other_categories(children, expected):
    # A 19-year-old single parent still studying (5.2, 1.5) — 5.2 is not one of 5.5/5.6/5.8.
    student_parent = Beneficiary(
        date(2005, 1, 1),
        Sex.FEMALE,
        [CategoryGrant("5.2", M("2024-07")), CategoryGrant("5.4", M("2024-07"))],
        studying=[Period(M("2023-09"), M("2027-06"))],
        children=kids(children, born=date(2023, 1, 1)),
    )
    assert at(student_parent, "2024-08").categories == expected


# --- residential care ---------------------------------------------------------------------------------


def test_residential_coefficient_replaces_the_category():
    orphan = Beneficiary(
        date(2020, 10, 1),
        Sex.MALE,
        [CategoryGrant("5.1", M("2023-01"))],
        residential=[Period(M("2024-01"), M("2025-12"))],
    )
    assert at(orphan, "2023-12").amount == 900_000  # community: 2.5 × 360,000
    assert at(orphan, "2024-01").amount == 1_800_000  # facility, under 4: 5.0 × 360,000
    assert at(orphan, "2024-01").categories == (RESIDENTIAL,)
    assert at(orphan, "2024-07").amount == 2_500_000  # 5.0 × 500,000
    assert at(orphan, "2024-10").amount == 2_000_000  # turns 4: 4.0 × 500,000
    assert at(orphan, "2026-01").amount == 750_000  # back in the community: 1.5 × 500,000


def test_residential_replaces_even_the_5_4_combination():
    mother = Beneficiary(
        date(1990, 1, 1),
        Sex.FEMALE,
        [CategoryGrant("5.4", M("2024-07")), CategoryGrant("5.6", M("2024-07"), disability_level=SEVERE)],
        residential=[Period(M("2024-08"), None)],
        children=kids(2),
    )
    assert at(mother, "2024-07").amount == 1_750_000
    assert at(mother, "2024-08").amount == 2_000_000  # 4.0 × 500,000, instead of both


def test_residence_alone_grants_nothing():
    resident = Beneficiary(date(2020, 1, 1), Sex.MALE, residential=[Period(M("2024-01"))])
    assert at(resident, "2024-02").reason == Reason.NO_GRANT


# --- suspension, missing parameters, mixed reasons ----------------------------------------------------


def test_suspended_months_are_not_payable():
    person = Beneficiary(
        date(1950, 1, 1),
        Sex.FEMALE,
        [CategoryGrant("5.5a", M("2024-07"))],
        suspensions=[Period(M("2024-09"), M("2024-11"))],
    )
    assert table(person, "2024-08", "2024-12") == {
        "2024-08": 750_000,
        "2024-09": 0,
        "2024-10": 0,
        "2024-11": 0,
        "2024-12": 750_000,
    }
    assert at(person, "2024-10").reason == Reason.SUSPENDED


def test_no_standard_level_before_2014():
    person = Beneficiary(date(1940, 1, 1), Sex.MALE, [CategoryGrant("5.5a", M("2013-06"))])
    assert at(person, "2013-12").reason == Reason.NO_STANDARD_LEVEL
    assert at(person, "2014-01").amount == 405_000  # 1.5 × 270,000


def test_different_grant_reasons_are_explained():
    person = Beneficiary(
        date(1970, 1, 1), Sex.MALE, [CategoryGrant("5.5a", M("2024-01")), CategoryGrant("5.8", M("2030-01"))]
    )
    entry = at(person, "2024-02")
    assert entry.reason == Reason.NOT_ENTITLED
    assert entry.detail == "5.5a: below_age; 5.8: before_start"


def test_every_month_of_the_range_has_an_entry_and_zero_entries_a_reason():
    entries = entitlements(ELDER, PARAMS, M("2022-06"), M("2025-06"))
    assert [e.month for e in entries] == list(M("2022-06").range_to(M("2025-06")))
    assert all((e.amount == 0) == (e.reason is not None) for e in entries)


def test_rounding_is_half_up_to_the_whole_vnd():
    assert amount_of(333_333, Decimal("1.5")) == 500_000  # 499,999.5
    assert amount_of(1, Decimal("0.5")) == 1
    assert amount_of(270_000, Decimal("2.5")) == 675_000


# --- 5.4: children counted month by month -------------------------------------------------------------


def test_the_issue_case_a_poor_single_mother_of_two_severely_disabled_is_paid_for_both_children():
    mother = Beneficiary(
        date(1985, 3, 1),
        Sex.FEMALE,
        [CategoryGrant("5.4", M("2021-07")), CategoryGrant("5.6", M("2021-07"), disability_level=SEVERE)],
        children=kids(2),
    )
    entry = at(mother, "2021-07")
    assert entry.amount == 2 * 360_000 + 540_000
    single = entry.lines[0]
    assert (single.category, single.children, single.coefficient) == ("5.4", 2, Decimal("2.0"))
    assert [(c.person_id, c.name, c.basis) for c in single.counted] == [
        ("child-0", "Con 0", "child"),
        ("child-1", "Con 1", "child"),
    ]


def test_a_child_counts_through_the_16th_birthday_month_then_only_in_months_of_study_until_22():
    child = Child(
        "c",
        date(2008, 5, 20),
        (Period(M("2008-05")),),
        studying=(Period(M("2024-09"), M("2025-05")), Period(M("2026-09"), M("2030-06"))),
    )
    mother = Beneficiary(date(1980, 1, 1), Sex.FEMALE, [CategoryGrant("5.4", M("2021-07"))], children=(child,))
    assert at(mother, "2024-05").lines[0].counted[0].basis == "child"  # turns 16 this month: still a child
    assert at(mother, "2024-06").reason == Reason.NO_CHILD  # summer before school: no line, with the reason
    assert at(mother, "2024-06").detail == "5.4: no_child"
    assert at(mother, "2024-09").lines[0].counted[0].basis == "studying"
    assert at(mother, "2025-07").reason == Reason.NO_CHILD  # a gap in study: not counted that month
    assert at(mother, "2026-09").amount == 540_000  # studying again (no "without a gap" rule for 5.4)
    assert at(mother, "2030-05").amount == 540_000  # the month of the 22nd birthday, still studying
    assert at(mother, "2030-06").reason == Reason.NO_CHILD  # 22 and over: never counted


def test_a_child_counts_only_while_raised_in_the_household_and_alive():
    joined = Child("a", date(2012, 1, 1), (Period(M("2024-03"), M("2024-10")),))
    died = Child("b", date(2013, 1, 1), (Period(M("2013-01")),), death_date=date(2024, 8, 31))
    father = Beneficiary(date(1980, 1, 1), Sex.MALE, [CategoryGrant("5.4", M("2024-01"))], children=(joined, died))
    assert [at(father, m).lines[0].children for m in ("2024-02", "2024-03", "2024-08")] == [1, 2, 2]
    assert [c.person_id for c in at(father, "2024-09").lines[0].counted] == ["a"]  # "b" died in August
    assert at(father, "2024-11").reason == Reason.NO_CHILD  # "a" left in October


def test_an_unborn_child_is_not_counted():
    baby = Child("a", date(2025, 3, 10), (Period(M("2024-01")),))
    mother = Beneficiary(date(1990, 1, 1), Sex.FEMALE, [CategoryGrant("5.4", M("2024-07"))], children=(baby,))
    assert at(mother, "2025-02").reason == Reason.NO_CHILD
    assert at(mother, "2025-03").amount == 500_000


# --- rulings where the decree leaves room (docs/rules.md §2) -----------------------------------------------


def test_a_5_1_decision_at_16_or_more_pays_nothing_even_while_studying():
    late = Beneficiary(
        date(2008, 5, 1), Sex.MALE, [CategoryGrant("5.1", M("2024-05"))], studying=[Period(M("2023-09"))]
    )
    assert table(late, "2024-05", "2024-07") == {"2024-05": 0, "2024-06": 0, "2024-07": 0}
    assert at(late, "2024-06").reason == Reason.AGED_OUT
    direct = Beneficiary(
        date(2008, 5, 1), Sex.MALE, [CategoryGrant("5.2", M("2024-06"))], studying=[Period(M("2023-09"))]
    )
    assert at(direct, "2024-06").amount == 540_000  # 5.2 granted directly: 1.5 × 360,000
    in_time = Beneficiary(
        date(2008, 5, 1), Sex.MALE, [CategoryGrant("5.1", M("2024-04"))], studying=[Period(M("2023-09"))]
    )
    assert at(in_time, "2024-06").categories == ("5.2",)


def test_a_decision_signed_after_the_death_pays_nothing_not_even_5_5c_arrears():
    person = Beneficiary(
        date(1943, 2, 1), Sex.FEMALE, [CategoryGrant("5.5c", M("2024-05"))], death_date=date(2024, 3, 10)
    )
    assert table(person, "2023-01", "2024-05") == dict.fromkeys(
        (str(m) for m in M("2023-01").range_to(M("2024-05"))), 0
    )
    assert at(person, "2023-02").reason == Reason.DECEASED
    alive = Beneficiary(
        date(1943, 2, 1), Sex.FEMALE, [CategoryGrant("5.5c", M("2024-03"))], death_date=date(2024, 3, 10)
    )
    assert at(alive, "2023-02").amount == 360_000  # decided in the month of death: arrears back to 80 stand


def test_art25_is_never_a_category_of_its_own():
    discharged = Beneficiary(
        date(2000, 1, 1),
        Sex.MALE,
        [CategoryGrant(RESIDENTIAL, M("2024-01"))],
        residential=[Period(M("2024-01"), M("2024-06"))],
    )
    assert at(discharged, "2024-07").reason == Reason.NOT_A_CATEGORY  # after discharge
    assert at(discharged, "2024-03").reason == Reason.NOT_A_CATEGORY  # residence alone pays nothing either


@pytest.mark.parametrize("category", ["5.5b", "5.7"])
def test_5_5b_and_5_7_do_not_exist_before_2021_07(category):
    born = date(1946, 1, 1) if category == "5.5b" else date(2021, 1, 1)
    early = Beneficiary(born, Sex.FEMALE, [CategoryGrant(category, M("2021-06"))])
    assert table(early, "2021-06", "2021-08") == {"2021-06": 0, "2021-07": 0, "2021-08": 0}
    on_time = Beneficiary(born, Sex.FEMALE, [CategoryGrant(category, M("2021-07"))])
    assert at(on_time, "2021-07").amount == (360_000 if category == "5.5b" else 540_000)


def test_the_5_5c_look_back_is_a_parameter():
    import dataclasses

    person = Beneficiary(date(1943, 2, 1), Sex.FEMALE, [CategoryGrant("5.5c", M("2024-05"))])
    assert at(person, "2023-02").amount == 360_000  # default: no limit, arrears back to the 80th birthday
    rules = [dataclasses.replace(r, lookback_months=6) if r.code == "5.5c" else r for r in DEFAULT_CATEGORY_RULES]
    limited = Parameters(DEFAULT_STANDARD_LEVELS, rules)
    assert entitlement_in(person, limited, M("2023-10")).reason == Reason.BEFORE_START
    assert entitlement_in(person, limited, M("2023-11")).amount == 360_000  # 6 months before the decision
