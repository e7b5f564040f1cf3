from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from services.registry.rules.months import Month, Period, merge_periods, month_of, month_range


def test_parse_and_format():
    assert Month.parse("2024-07") == Month(2024, 7)
    assert str(Month(2024, 7)) == "2024-07"
    assert str(Month(987, 1)) == "0987-01"


@pytest.mark.parametrize("text", ["2024-7", "2024-13", "2024-00", "24-07", "2024/07", " 2024-07", "2024-07-01", ""])
def test_parse_rejects_anything_but_yyyy_mm(text):
    with pytest.raises(ValueError):
        Month.parse(text)


def test_constructor_validates():
    with pytest.raises(ValueError):
        Month(2024, 0)
    with pytest.raises(ValueError):
        Month(0, 1)


def test_ordering_and_arithmetic():
    assert Month(2023, 12) < Month(2024, 1) < Month(2024, 2)
    assert Month(2023, 12) + 1 == Month(2024, 1)
    assert 13 + Month(2023, 12) == Month(2025, 1)
    assert Month(2024, 1) - 1 == Month(2023, 12)
    assert Month(2024, 7) - Month(2021, 7) == 36
    assert Month(2024, 3) + (-15) == Month(2022, 12)


def test_month_of_dates_and_vietnam_time():
    assert month_of(date(2024, 2, 29)) == Month(2024, 2)
    # 31 Jan 20:00 UTC is already 1 Feb 03:00 in Viet Nam.
    assert month_of(datetime(2024, 1, 31, 20, 0, tzinfo=UTC)) == Month(2024, 2)
    assert month_of(datetime(2024, 1, 31, 23, 0, tzinfo=timezone(timedelta(hours=7)))) == Month(2024, 1)


def test_days():
    assert Month(2024, 2).first_day() == date(2024, 2, 1)
    assert Month(2024, 2).last_day() == date(2024, 2, 29)
    assert Month(2023, 2).last_day() == date(2023, 2, 28)


def test_range_is_inclusive_and_empty_when_reversed():
    got = [str(m) for m in month_range(Month(2023, 11), Month(2024, 2))]
    assert got == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert list(Month(2024, 2).range_to(Month(2024, 1))) == []
    assert list(Month(2024, 2).range_to(Month(2024, 2))) == [Month(2024, 2)]


def test_period_contains_and_open_end():
    period = Period(Month(2024, 1), Month(2024, 3))
    assert Month(2024, 1) in period and Month(2024, 3) in period
    assert Month(2023, 12) not in period and Month(2024, 4) not in period
    assert Month(2100, 1) in Period(Month(2024, 1))
    with pytest.raises(ValueError):
        Period(Month(2024, 3), Month(2024, 1))


def test_merge_joins_overlapping_and_adjacent_periods():
    merged = merge_periods(
        [
            Period(Month(2024, 5), Month(2024, 8)),
            Period(Month(2024, 1), Month(2024, 3)),
            Period(Month(2024, 4), Month(2024, 4)),  # adjacent on both sides
            Period(Month(2025, 1), None),
            Period(Month(2025, 6), Month(2025, 7)),  # inside the open one
        ]
    )
    assert merged == [Period(Month(2024, 1), Month(2024, 8)), Period(Month(2025, 1), None)]


def test_pydantic_field_round_trip():
    class Payload(BaseModel):
        month: Month

    payload = Payload.model_validate({"month": "2026-07"})
    assert payload.month == Month(2026, 7)
    assert payload.model_dump_json() == '{"month":"2026-07"}'
    assert Payload.model_json_schema()["properties"]["month"]["type"] == "string"
    with pytest.raises(ValidationError):
        Payload.model_validate({"month": "2026-7"})
