from decimal import Decimal

import pytest

from services.registry.rules.months import Month
from services.registry.rules.parameters import (
    DEFAULT_CATEGORY_RULES,
    DEFAULT_STANDARD_LEVELS,
    RESIDENTIAL,
    CategoryRule,
    CoefficientBand,
    DisabilityLevel,
    Parameters,
    StandardLevel,
)

PARAMS = Parameters(DEFAULT_STANDARD_LEVELS, DEFAULT_CATEGORY_RULES)


def test_seed_standard_levels_follow_domain():
    assert [(str(s.valid_from), s.amount, s.verify) for s in DEFAULT_STANDARD_LEVELS] == [
        ("2014-01", 270_000, False),
        ("2021-07", 360_000, False),
        ("2024-07", 500_000, False),
        ("2026-07", 540_000, True),
    ]
    assert "Decree 76/2024" in DEFAULT_STANDARD_LEVELS[2].legal_basis


@pytest.mark.parametrize(
    ("month", "amount"),
    [
        ("2013-12", None),
        ("2014-01", 270_000),
        ("2021-06", 270_000),
        ("2021-07", 360_000),
        ("2024-06", 360_000),
        ("2024-07", 500_000),
        ("2026-06", 500_000),
        ("2026-07", 540_000),
        ("2040-01", 540_000),
    ],
)
def test_standard_level_lookup(month, amount):
    level = PARAMS.standard_level(Month.parse(month))
    assert (level.amount if level else None) == amount


def test_seed_categories():
    codes = {rule.code for rule in DEFAULT_CATEGORY_RULES}
    assert codes == {"5.1", "5.2", "5.3", "5.4", "5.5a", "5.5b", "5.5c", "5.5d", "5.6", "5.7", "5.8", RESIDENTIAL}
    # New in Decree 20/2021: not in force before 2021-07.
    assert PARAMS.category_rule("5.5b", Month(2021, 6)) is None
    assert PARAMS.category_rule("5.7", Month(2021, 7)) is not None
    assert PARAMS.category_rule("5.1", Month(2014, 1)) is not None
    assert PARAMS.category_rule("9.9", Month(2024, 1)) is None


@pytest.mark.parametrize(
    ("code", "age", "level", "coefficient"),
    [
        ("5.1", 3, None, "2.5"),
        ("5.1", 4, None, "1.5"),
        ("5.3", 3, None, "2.5"),
        ("5.3", 4, None, "2.0"),
        ("5.5a", 79, None, "1.5"),
        ("5.5a", 80, None, "2.0"),
        ("5.5d", 70, None, "3.0"),
        ("5.6", 15, DisabilityLevel.EXTREMELY_SEVERE, "2.5"),
        ("5.6", 16, DisabilityLevel.EXTREMELY_SEVERE, "2.0"),
        ("5.6", 60, DisabilityLevel.EXTREMELY_SEVERE, "2.5"),
        ("5.6", 15, DisabilityLevel.SEVERE, "2.0"),
        ("5.6", 30, DisabilityLevel.SEVERE, "1.5"),
        ("5.6", 60, DisabilityLevel.SEVERE, "2.0"),
        (RESIDENTIAL, 3, None, "5.0"),
        (RESIDENTIAL, 4, None, "4.0"),
    ],
)
def test_seed_coefficients(code, age, level, coefficient):
    band = PARAMS.category_rule(code, Month(2024, 1)).band_for(age, level)
    assert band.coefficient == Decimal(coefficient)


def test_disability_needs_a_level():
    assert PARAMS.category_rule("5.6", Month(2024, 1)).band_for(30, None) is None


def test_rules_are_effective_dated():
    old = CategoryRule("5.8", Month(2014, 1), "hiv", (CoefficientBand(Decimal("1.5")),), "old")
    new = CategoryRule("5.8", Month(2027, 1), "hiv", (CoefficientBand(Decimal("1.8")),), "provincial top-up")
    params = Parameters([], [new, old])
    assert params.category_rule("5.8", Month(2026, 12)).legal_basis == "old"
    assert params.category_rule("5.8", Month(2027, 1)).legal_basis == "provincial top-up"


def test_tables_refuse_duplicates_and_bad_values():
    level = StandardLevel(Month(2024, 7), 500_000, "x")
    with pytest.raises(ValueError):
        Parameters([level, StandardLevel(Month(2024, 7), 1, "y")], [])
    with pytest.raises(ValueError):
        StandardLevel(Month(2024, 7), -1, "x")
    with pytest.raises(ValueError):
        StandardLevel(Month(2024, 7), 500_000.0, "float money")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        CoefficientBand(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        CoefficientBand("-1")  # type: ignore[arg-type]
    assert CoefficientBand("2.5").coefficient == Decimal("2.5")  # type: ignore[arg-type]
