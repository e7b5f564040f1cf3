"""Entitlement schedules: the engine's months compressed into periods (pure rules, hypothesis)."""

from datetime import date
from decimal import Decimal

from hypothesis import given

from services.registry.rules.entitlements import Beneficiary, CategoryGrant, entitlements
from services.registry.rules.months import Month
from services.registry.rules.parameters import DEFAULT_CATEGORY_RULES, DEFAULT_STANDARD_LEVELS, Parameters
from services.registry.rules.person import Sex
from services.registry.rules.schedule import amount_in, compress, fingerprint

from .test_rules_properties import cases, parameters

PARAMETERS = Parameters(DEFAULT_STANDARD_LEVELS, DEFAULT_CATEGORY_RULES)

ELDERLY = Beneficiary(
    date_of_birth=date(1944, 5, 10),
    sex=Sex.MALE,
    grants=(CategoryGrant(category="5.5a", decision_month=Month(2021, 1)),),
)


def test_the_documented_elderly_case_becomes_five_periods_the_last_open_ended():
    last = Month(2030, 12)
    periods = compress(entitlements(ELDERLY, PARAMETERS, Month(2020, 1), last), open_ended_after=last)
    assert [(str(p.first), p.last and str(p.last), p.amount, p.coefficient) for p in periods] == [
        ("2021-01", "2021-06", 405_000, Decimal("1.5")),
        ("2021-07", "2024-04", 540_000, Decimal("1.5")),
        ("2024-05", "2024-06", 720_000, Decimal("2.0")),  # turns 80
        ("2024-07", "2026-06", 1_000_000, Decimal("2.0")),
        ("2026-07", None, 1_080_000, Decimal("2.0")),  # the retroactive 2026 level, still paid at the horizon
    ]
    assert periods[0].as_json() == {
        "from": "2021-01",
        "to": "2021-06",
        "amount": 405_000,
        "category": "5.5a",
        "coefficient": "1.5",
        "standard_level": 270_000,
        "categories": ["5.5a"],
    }


@given(cases())
def test_a_schedule_pays_exactly_what_the_engine_says_month_by_month(case):
    beneficiary, levels, (first, last) = case
    entries = entitlements(beneficiary, parameters(levels), first, last)
    periods = compress(entries, open_ended_after=last)
    for entry in entries:
        assert amount_in(periods, entry.month) == entry.amount
    for a, b in zip(periods, periods[1:], strict=False):
        assert a.last is not None and a.last < b.first  # ordered, disjoint
    assert all(p.amount > 0 for p in periods)


def test_fingerprints_change_with_the_schedule_or_the_facts_only():
    last = Month(2030, 12)
    periods = compress(entitlements(ELDERLY, PARAMETERS, Month(2020, 1), last), open_ended_after=last)
    same = compress(entitlements(ELDERLY, PARAMETERS, Month(2020, 1), last), open_ended_after=last)
    assert fingerprint(periods, status="active") == fingerprint(same, status="active")
    assert fingerprint(periods, status="active") != fingerprint(periods, status="suspended")
    assert fingerprint(periods, status="active") != fingerprint(periods[:-1], status="active")
