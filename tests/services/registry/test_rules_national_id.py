from datetime import date

import pytest

from services.registry.rules.national_id import (
    PROVINCE_CODES,
    century_sex_digit,
    decode_century_sex,
    parse_national_id,
    validate_national_id,
)
from services.registry.rules.person import Sex

MAN_1985 = date(1985, 4, 2)
WOMAN_2003 = date(2003, 11, 30)


def codes(problems):
    return [p.code for p in problems]


def test_valid_ids():
    assert validate_national_id("084085000123", MAN_1985, Sex.MALE) == []
    assert validate_national_id("084303001234", WOMAN_2003, Sex.FEMALE) == []
    assert validate_national_id("079185009999", date(1985, 1, 1), Sex.FEMALE) == []


def test_parts():
    parts = parse_national_id("084303001234")
    assert parts is not None
    assert (parts.province_code, parts.century_sex_digit, parts.year_digits, parts.serial) == ("084", 3, "03", "001234")
    assert parse_national_id("08430300123") is None


@pytest.mark.parametrize(
    ("year", "sex", "digit"),
    [
        (1900, Sex.MALE, 0),
        (1999, Sex.FEMALE, 1),
        (2000, Sex.MALE, 2),
        (2024, Sex.FEMALE, 3),
        (2100, Sex.MALE, 4),
        (2199, Sex.FEMALE, 5),
    ],
)
def test_century_sex_digit(year, sex, digit):
    assert century_sex_digit(year, sex) == digit
    assert decode_century_sex(digit) == (year // 100 * 100, sex)


@pytest.mark.parametrize("year", [1899, 2200])
def test_century_sex_digit_outside_the_assigned_centuries(year):
    with pytest.raises(ValueError):
        century_sex_digit(year, Sex.MALE)


def test_not_digits():
    problems = validate_national_id("08408500012a", MAN_1985, Sex.MALE)
    assert codes(problems) == ["not_digits"]
    assert problems[0].field == "national_id"
    assert "'a'" in problems[0].reason


def test_unicode_digits_are_not_digits():
    assert codes(validate_national_id("08408500012٣", MAN_1985, Sex.MALE)) == ["not_digits"]


@pytest.mark.parametrize("value", ["08408500012", "0840850001234", ""])
def test_wrong_length(value):
    problems = validate_national_id(value, MAN_1985, Sex.MALE)
    assert codes(problems) == ["wrong_length"]
    assert f"got {len(value)}" in problems[0].reason


def test_format_problems_are_all_reported_and_stop_further_checks():
    assert codes(validate_national_id("084 085 000 123", MAN_1985, Sex.FEMALE)) == ["not_digits", "wrong_length"]


def test_unknown_province():
    problems = validate_national_id("099085000123", MAN_1985, Sex.MALE)
    assert codes(problems) == ["unknown_province"]
    assert "099" in problems[0].reason
    assert validate_national_id("099085000123", MAN_1985, Sex.MALE, province_codes=None) == []
    assert PROVINCE_CODES["084"] == "Trà Vinh" and len(PROVINCE_CODES) == 63


def test_century_contradicts_date_of_birth():
    problems = validate_national_id("084285000123", MAN_1985, Sex.MALE)  # 2 = male born 2000-2099
    assert codes(problems) == ["century_mismatch"]
    assert problems[0].related == "date_of_birth"
    assert "1985-04-02" in problems[0].reason


def test_sex_contradicts_recorded_sex():
    problems = validate_national_id("084185000123", MAN_1985, Sex.MALE)  # 1 = female born 1900-1999
    assert codes(problems) == ["sex_mismatch"]
    assert problems[0].related == "sex"


def test_year_digits_contradict_date_of_birth():
    problems = validate_national_id("084086000123", MAN_1985, Sex.MALE)
    assert codes(problems) == ["birth_year_mismatch"]
    assert "1985" in problems[0].reason


def test_unassigned_century_digit():
    assert codes(validate_national_id("084685000123", MAN_1985, Sex.MALE)) == ["unassigned_century_digit"]


def test_every_contradiction_at_once():
    # province 000, digit 3 (female, 2000s), year 99 — against a man born 1985.
    assert codes(validate_national_id("000399000123", MAN_1985, Sex.MALE)) == [
        "unknown_province",
        "century_mismatch",
        "sex_mismatch",
        "birth_year_mismatch",
    ]


def test_cross_checks_skipped_when_facts_unknown():
    assert validate_national_id("084385000123") == []
    assert codes(validate_national_id("084385000123", sex=Sex.MALE)) == ["sex_mismatch"]
