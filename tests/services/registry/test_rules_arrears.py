from datetime import date

from services.registry.rules.entitlements import (
    Beneficiary,
    CategoryGrant,
    amounts,
    arrears,
    arrears_totals,
    entitlements,
)
from services.registry.rules.months import Month
from services.registry.rules.parameters import (
    DEFAULT_CATEGORY_RULES,
    DEFAULT_STANDARD_LEVELS,
    Parameters,
    StandardLevel,
)
from services.registry.rules.person import Sex

M = Month.parse
PARAMS = Parameters(DEFAULT_STANDARD_LEVELS, DEFAULT_CATEGORY_RULES)


def test_retroactive_rate_rise_gives_arrears():
    # The 2026 decree is signed after July: July-September were paid at the old 500,000 level.
    child = Beneficiary(date(2020, 3, 15), Sex.FEMALE, [CategoryGrant("5.1", M("2021-01"))])
    entitled = amounts(entitlements(child, PARAMS, M("2026-07"), M("2026-09")))
    before_decree = Parameters(DEFAULT_STANDARD_LEVELS[:3], DEFAULT_CATEGORY_RULES)
    paid = amounts(entitlements(child, before_decree, M("2026-07"), M("2026-09")))
    assert paid == {M("2026-07"): 750_000, M("2026-08"): 750_000, M("2026-09"): 750_000}
    diff = arrears(entitled, paid)
    assert diff == {M("2026-07"): 60_000, M("2026-08"): 60_000, M("2026-09"): 60_000}  # 1.5 × 40,000
    assert arrears_totals(diff) == (180_000, 0)


def test_late_decision_gives_arrears():
    # 5.5b starts the month of turning 75 (2023-09) though the decision was signed in 2023-11 and the
    # first payroll was 2023-12.
    person = Beneficiary(date(1948, 9, 10), Sex.MALE, [CategoryGrant("5.5b", M("2023-11"))])
    entitled = amounts(entitlements(person, PARAMS, M("2023-08"), M("2023-12")))
    paid = {M("2023-12"): 360_000}
    assert arrears(entitled, paid) == {
        M("2023-08"): 0,
        M("2023-09"): 360_000,
        M("2023-10"): 360_000,
        M("2023-11"): 360_000,
        M("2023-12"): 0,
    }


def test_payment_after_death_is_recovered():
    person = Beneficiary(
        date(1944, 5, 20), Sex.FEMALE, [CategoryGrant("5.5a", M("2023-01"))], death_date=date(2025, 2, 10)
    )
    entitled = amounts(entitlements(person, PARAMS, M("2025-01"), M("2025-04")))
    paid = {m: 1_000_000 for m in M("2025-01").range_to(M("2025-04"))}
    diff = arrears(entitled, paid)
    assert diff == {M("2025-01"): 0, M("2025-02"): 0, M("2025-03"): -1_000_000, M("2025-04"): -1_000_000}
    assert arrears_totals(diff) == (0, 2_000_000)


def test_months_missing_on_either_side_count_as_zero_and_are_sorted():
    diff = arrears({M("2024-03"): 500, M("2024-01"): 100}, {M("2024-02"): 70, M("2024-03"): 600})
    assert list(diff.items()) == [(M("2024-01"), 100), (M("2024-02"), -70), (M("2024-03"), -100)]
    assert arrears_totals(diff) == (100, 170)


def test_a_provincial_top_up_is_just_another_table():
    top_up = Parameters(
        [*DEFAULT_STANDARD_LEVELS, StandardLevel(M("2025-01"), 600_000, "Provincial People's Council resolution")],
        DEFAULT_CATEGORY_RULES,
    )
    person = Beneficiary(date(1950, 1, 1), Sex.MALE, [CategoryGrant("5.5a", M("2024-07"))])
    entry = entitlements(person, top_up, M("2025-01"), M("2025-01"))[0]
    assert entry.amount == 900_000
    assert "Provincial" in entry.lines[0].legal_basis
