"""The foster carer's monthly amount (Decree 20/2021 Art 20): pure rule, examples and properties (hypothesis)."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from services.payments.rules import foster

FAST = settings(max_examples=300, deadline=None, database=None, derandomize=True)
days = st.dates(date(2008, 1, 1), date(2030, 12, 31))


def month_after(m: date, k: int) -> date:
    n = m.year * 12 + m.month - 1 + k
    return date(n // 12, n % 12 + 1, 1)


def test_two_and_a_half_before_the_fourth_birthday_month_then_one_and_a_half_until_sixteen():
    t = foster.terms(date(2024, 9, 20), None, date(2021, 3, 15))
    assert (t.first_month, t.rate_change_month, t.last_month) == (date(2024, 9, 1), date(2025, 3, 1), date(2037, 3, 1))
    assert foster.monthly(t, date(2024, 8, 1), 500_000) == 0  # before the placement
    assert foster.monthly(t, date(2024, 9, 1), 500_000) == 1_250_000  # the start month is paid in full
    assert foster.monthly(t, date(2025, 2, 1), 500_000) == 1_250_000
    assert foster.monthly(t, date(2025, 3, 1), 500_000) == 750_000  # the month of the 4th birthday
    assert foster.monthly(t, date(2037, 3, 1), 540_000) == 810_000  # the month of the 16th birthday is paid
    assert foster.monthly(t, date(2037, 4, 1), 540_000) == 0


def test_an_end_stops_after_its_month_and_a_leap_day_child_changes_rate_in_february():
    t = foster.terms(date(2026, 1, 10), date(2026, 6, 3), date(2024, 2, 29))
    assert (t.last_month, t.rate_change_month) == (date(2026, 6, 1), date(2028, 2, 1))
    assert foster.monthly(t, date(2026, 6, 1), 360_000) == 900_000
    assert foster.monthly(t, date(2026, 7, 1), 360_000) == 0
    assert not foster.terms(date(2026, 1, 10), None, date(2009, 12, 1)).payable  # 16 in December 2025


def test_amounts_round_half_up_to_whole_vnd():
    assert foster.amount(270_001, foster.FROM_4) == 405_002  # 405,001.5
    assert foster.amount(270_001, foster.UNDER_4) == 675_003  # 675,002.5


@FAST
@given(days, st.one_of(st.none(), st.integers(0, 400)), days, st.integers(0, 240), st.integers(1, 5_000_000))
def test_paid_months_are_one_run_inside_care_and_under_16_and_the_rate_never_rises(start, length, birth, offset, level):
    ends = None if length is None else date.fromordinal(start.toordinal() + length)
    t = foster.terms(start, ends, birth)
    month = month_after(date(start.year, start.month, 1), offset - 24)
    paid = foster.monthly(t, month, level)
    inside = (
        date(start.year, start.month, 1) <= month
        and (ends is None or month <= ends.replace(day=1))
        and month <= date(birth.year + 16, birth.month, 1)
    )
    assert (paid > 0) == inside
    if inside:
        assert paid == foster.amount(
            level, foster.UNDER_4 if month < date(birth.year + 4, birth.month, 1) else foster.FROM_4
        )
        later = month_after(month, 1)
        if foster.monthly(t, later, level) > 0:
            assert foster.monthly(t, later, level) <= paid
