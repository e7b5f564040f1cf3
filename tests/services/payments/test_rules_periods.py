from datetime import date

import pytest

from services.payments.rules.periods import Frequency, add_months, month_text, parse_month, parse_period

MONTHLY, QUARTERLY = Frequency.MONTHLY, Frequency.QUARTERLY


def test_monthly_and_quarterly_periods():
    march = parse_period("2026-03", MONTHLY)
    assert (march.text, march.first, march.last) == ("2026-03", date(2026, 3, 1), date(2026, 3, 1))
    q4 = parse_period("2026-Q4", QUARTERLY)
    assert (q4.first, q4.last) == (date(2026, 10, 1), date(2026, 12, 1))
    for text, frequency in [
        ("2026-Q1", MONTHLY),
        ("2026-03", QUARTERLY),
        ("2026-13", MONTHLY),
        ("2026-Q5", QUARTERLY),
        ("26-03", MONTHLY),
    ]:
        with pytest.raises(ValueError):
            parse_period(text, frequency)


def test_months():
    assert add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert month_text(parse_month("2026-07")) == "2026-07"
