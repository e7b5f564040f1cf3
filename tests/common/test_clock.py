import asyncio
from datetime import UTC, date, datetime

from common import clock


def test_today_is_the_vietnam_date_not_the_servers():
    # 20:00 UTC on 31 July is already 1 August in Viet Nam.
    with clock.frozen(datetime(2026, 7, 31, 20, 0, tzinfo=UTC)):
        assert clock.today() == date(2026, 8, 1)
        assert clock.now().utcoffset().total_seconds() == 7 * 3600


def test_a_frozen_date_is_seen_by_tasks_started_inside_the_block():
    async def read() -> date:
        return clock.today()

    async def main() -> date:
        with clock.frozen(date(2030, 1, 2)):
            return await asyncio.create_task(read())

    assert asyncio.run(main()) == date(2030, 1, 2)


def test_the_clock_runs_again_after_the_block():
    with clock.frozen(date(2001, 1, 1)):
        pass
    assert clock.today() > date(2026, 1, 1)


def test_to_vietnam_date_reads_naive_instants_as_utc():
    assert clock.to_vietnam_date(datetime(2026, 12, 31, 17, 30)) == date(2027, 1, 1)
