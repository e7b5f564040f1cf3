"""common/daily.py: the next run at a local time in Viet Nam, and a run that fails is logged, not raised."""

from datetime import UTC, date, datetime, time

from common.daily import DailyJob, seconds_until, today_in_vietnam


def test_the_next_run_is_at_the_local_time_in_viet_nam():
    at = time(6, 0)
    # 23:00 UTC = 06:00 the next day in Viet Nam.
    assert seconds_until(datetime(2026, 3, 1, 22, 0, tzinfo=UTC), at) == 3600
    assert seconds_until(datetime(2026, 3, 1, 23, 0, tzinfo=UTC), at) == 24 * 3600  # exactly at: tomorrow
    assert seconds_until(datetime(2026, 3, 1, 23, 0, 30, tzinfo=UTC), at) == 24 * 3600 - 30
    # Midnight local time, across a month end (UTC is still on the 28th of February).
    assert seconds_until(datetime(2026, 2, 28, 17, 0, tzinfo=UTC), time(0, 0)) == 24 * 3600
    assert seconds_until(datetime(2026, 2, 28, 16, 59, tzinfo=UTC), time(0, 0)) == 60


def test_today_is_the_day_in_viet_nam():
    assert today_in_vietnam(datetime(2026, 2, 28, 16, 59, tzinfo=UTC)) == date(2026, 2, 28)
    assert today_in_vietnam(datetime(2026, 2, 28, 17, 0, tzinfo=UTC)) == date(2026, 3, 1)


async def test_a_failed_run_is_swallowed_and_a_good_one_returns_its_result():
    seen = []

    async def boom(maker, on):
        seen.append(on)
        raise RuntimeError("database away")

    async def fine(maker, on):
        return {"on": on.isoformat()}

    assert await DailyJob("x", at=time(1, 0), run=boom).run_once(lambda: None, date(2026, 3, 1)) is None
    assert seen == [date(2026, 3, 1)]
    assert await DailyJob("x", at=time(1, 0), run=fine).run_once(lambda: None, date(2026, 3, 2)) == {"on": "2026-03-02"}
