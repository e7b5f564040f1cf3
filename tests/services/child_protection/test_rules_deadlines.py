"""Deadlines of Decree 56/2017 and alternative care (pure rules; hypothesis, deterministic)."""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.clock import VIETNAM_TZ
from services.child_protection.rules import deadlines as d
from services.child_protection.rules.cases import Action, InvalidTransition, Status, actions_from, next_status

FAST = settings(max_examples=200, deadline=None, database=None, derandomize=True)

TET_2027 = frozenset(date(2027, 2, 5) + timedelta(days=i) for i in range(7))  # 5–11 Feb 2027
CAL = d.Calendar(TET_2027 | {date(2027, 4, 16), date(2027, 4, 30), date(2027, 5, 1), date(2027, 9, 2)})

days = st.dates(date(2025, 1, 1), date(2030, 12, 31))
instants = st.builds(
    lambda day, s: datetime.combine(day, time(0), tzinfo=VIETNAM_TZ) + timedelta(seconds=s),
    days,
    st.integers(0, 86_399),
)
holiday_sets = st.frozensets(st.dates(date(2025, 1, 1), date(2031, 3, 31)), max_size=40)


def test_plan_draft_skips_weekend_and_tet():
    # Detailed assessment on Thursday 4 Feb 2027, the eve of Tết: Fri 5 … Thu 11 are holidays.
    assessed = datetime(2027, 2, 4, 15, 30, tzinfo=VIETNAM_TZ)
    due = d.plan_draft_due(assessed, CAL, VIETNAM_TZ)
    # Working days after: Fri 12, Mon 15, Tue 16, Wed 17, Thu 18 → due at the end of Thursday 18 Feb.
    assert due == datetime(2027, 2, 19, 0, 0, tzinfo=VIETNAM_TZ)


def test_plan_approval_two_working_days_over_a_weekend():
    drafted = datetime(2027, 3, 5, 9, 0, tzinfo=VIETNAM_TZ)  # Friday
    assert d.plan_approval_due(drafted, CAL, VIETNAM_TZ) == datetime(2027, 3, 10, tzinfo=VIETNAM_TZ)  # end of Tue 9


def test_twelve_hours_run_through_nights_and_holidays():
    reported = datetime(2027, 2, 5, 22, 0, tzinfo=VIETNAM_TZ)  # first day of Tết, at night
    assert d.emergency_action_due(reported) == datetime(2027, 2, 6, 10, 0, tzinfo=VIETNAM_TZ)
    assert d.separation_decision_due(reported) == d.emergency_action_due(reported)


def test_separation_at_most_fifteen_days():
    start = date(2027, 1, 1)
    assert d.separation_problem(start, date(2027, 1, 15)) is None
    assert "at most 15 days" in (d.separation_problem(start, date(2027, 1, 16)) or "")
    assert d.separation_problem(start, date(2026, 12, 31)) == "ends before it starts"


def test_carer_reports_six_months_then_yearly():
    start = date(2026, 8, 31)
    assert [d.carer_report_due(start, n) for n in range(4)] == [
        date(2027, 2, 28),
        date(2027, 8, 31),
        date(2028, 8, 31),
        date(2029, 8, 31),
    ]
    with pytest.raises(ValueError):
        d.carer_report_due(start, -1)


def test_deadline_status():
    due = datetime(2027, 1, 2, tzinfo=VIETNAM_TZ)
    assert d.status_of(due, due - timedelta(seconds=1), due) == "on_time"
    assert d.status_of(due, due, due) == "late"
    assert d.status_of(due, None, due - timedelta(seconds=1)) == "open"
    assert d.status_of(due, None, due) == "overdue"


@FAST
@given(days, st.integers(1, 30), holiday_sets)
def test_add_working_days_lands_on_the_nth_working_day(start, n, holidays):
    cal = d.Calendar(holidays)
    due = cal.add_working_days(start, n)
    assert cal.is_working_day(due)
    assert cal.working_days_between(start, due) == n
    assert cal.working_days_between(start, due - timedelta(days=1)) == n - 1


@FAST
@given(days, st.integers(1, 10), holiday_sets, st.dates(date(2025, 1, 1), date(2031, 3, 31)))
def test_a_holiday_never_brings_a_deadline_earlier(start, n, holidays, extra):
    before = d.Calendar(holidays).add_working_days(start, n)
    after = d.Calendar(holidays | {extra}).add_working_days(start, n)
    assert after >= before
    assert (after == before) == (not (start < extra <= before and extra.weekday() < 5 and extra not in holidays))


@FAST
@given(days, st.integers(1, 10))
def test_without_holidays_n_working_days_take_at_most_n_plus_weekends(start, n):
    due = d.Calendar().add_working_days(start, n)
    span = (due - start).days
    assert n <= span <= n + 2 * ((n + 6) // 5) + 2


@FAST
@given(instants, holiday_sets)
def test_working_day_deadlines_end_at_midnight_and_approval_precedes_draft_length(assessed, holidays):
    cal = d.Calendar(holidays)
    draft = d.plan_draft_due(assessed, cal, VIETNAM_TZ)
    approval = d.plan_approval_due(assessed, cal, VIETNAM_TZ)
    for due in (draft, approval):
        assert due.astimezone(VIETNAM_TZ).timetz().replace(tzinfo=None) == time(0)
        assert due - assessed > timedelta(days=2)
        assert cal.is_working_day(due.astimezone(VIETNAM_TZ).date() - timedelta(days=1))
    assert approval < draft


@FAST
@given(instants)
def test_hour_limits_are_exactly_twelve_hours(at):
    assert d.emergency_action_due(at) - at == timedelta(hours=12)


@FAST
@given(days, st.integers(0, 40))
def test_separation_limit(start, length):
    problem = d.separation_problem(start, start + timedelta(days=length))
    assert (problem is None) == (length + 1 <= 15)


@FAST
@given(days, st.integers(0, 20))
def test_carer_reports_are_increasing_and_a_year_apart_after_the_first(start, n):
    first, second, later = (d.carer_report_due(start, k) for k in (n, n + 1, n + 2))
    assert first < second < later
    assert 365 <= (later - second).days <= 366
    assert 28 * 6 - 3 <= (d.carer_report_due(start, 0) - start).days <= 31 * 6


def test_aware_instants_are_required():
    with pytest.raises(ValueError):
        d.emergency_action_due(datetime(2027, 1, 1, 8))  # noqa: DTZ001 - deliberately naive


# --- the state machine ------------------------------------------------------------------------------------


def test_full_path_and_reopen():
    path = [
        Action.INITIAL_ASSESSMENT,
        Action.DETAILED_ASSESSMENT,
        Action.DRAFT_PLAN,
        Action.APPROVE_PLAN,
        Action.START_SUPPORT,
        Action.REVIEW,
        Action.NEW_PLAN,
        Action.DRAFT_PLAN,
        Action.APPROVE_PLAN,
        Action.START_SUPPORT,
        Action.REVIEW,
        Action.CLOSE,
        Action.REOPEN,
    ]
    status = Status.REPORTED
    for action in path:
        status = next_status(status, action)
    assert status is Status.REPORTED


def test_invalid_transition_names_the_possible_actions():
    with pytest.raises(InvalidTransition) as err:
        next_status(Status.REPORTED, Action.APPROVE_PLAN)
    assert err.value.allowed == ["initial_assessment"]


@FAST
@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_any_sequence_of_actions_stays_in_the_machine(actions):
    status = Status.REPORTED
    for action in actions:
        if action in actions_from(status):
            status = next_status(status, action)
        else:
            with pytest.raises(InvalidTransition):
                next_status(status, action)
    # Whatever happened, a closed case can only be reopened and every status can reach closed.
    assert actions_from(Status.CLOSED) == [Action.REOPEN]
    reachable = _reachable(status)
    assert Status.CLOSED in reachable


def _reachable(start):
    seen, todo = {start}, [start]
    while todo:
        s = todo.pop()
        for a in actions_from(s):
            t = next_status(s, a)
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen
