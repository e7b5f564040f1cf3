"""common/daily.py: the next run at a local time in Viet Nam, a run that fails is logged, not raised, and a day's run
happens once whatever the number of replicas (the claim in ``job_runs``, on the real database)."""

import asyncio
import uuid
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from common.daily import DailyJob, seconds_until, today_in_vietnam
from common.settings import to_asyncpg_url


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

    assert await DailyJob("x", at=time(1, 0), run=boom, once=False).run_once(lambda: None, date(2026, 3, 1)) is None
    assert seen == [date(2026, 3, 1)]
    job = DailyJob("x", at=time(1, 0), run=fine, once=False)
    assert await job.run_once(lambda: None, date(2026, 3, 2)) == {"on": "2026-03-02"}


@pytest.fixture(params=["payments", "gateway"])
async def maker(request, test_db):
    """Sessions of a component's role (its search_path is its schema, as in the running process)."""
    engine = create_async_engine(to_asyncpg_url(test_db.urls[request.param]))
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_replicas_run_a_day_once_and_a_failed_day_again(maker):
    name = f"test-{uuid.uuid4().hex[:8]}"
    calls: list[tuple[int, date]] = []
    fail = [True]

    def work(replica: int):
        async def run(m, on):
            calls.append((replica, on))
            await asyncio.sleep(0.05)  # both replicas are inside run_once at the same time
            if fail[0] and on == date(2026, 3, 2):
                raise RuntimeError("database away")
            return {"replica": replica}

        return run

    replicas = [DailyJob(name, at=time(6, 0), run=work(i)) for i in range(3)]
    day = date(2026, 3, 1)
    results = await asyncio.gather(*(job.run_once(maker, day) for job in replicas))
    assert len(calls) == 1 and calls[0][1] == day
    assert sorted(r is None for r in results) == [False, True, True]  # one ran, two skipped
    assert await asyncio.gather(*(job.run_once(maker, day) for job in replicas)) == [None] * 3  # done: never again
    assert len(calls) == 1

    # The next day runs once again; a failed day may be claimed again (by any replica), once.
    calls.clear()
    await asyncio.gather(*(job.run_once(maker, date(2026, 3, 2)) for job in replicas))
    assert len(calls) == 1
    fail[0] = False
    await asyncio.gather(*(job.run_once(maker, date(2026, 3, 2)) for job in replicas))
    assert len(calls) == 2
    async with maker() as session:
        rows = (
            await session.execute(
                text("SELECT day, status, finished_at IS NOT NULL FROM job_runs WHERE job = :j ORDER BY day"),
                {"j": name},
            )
        ).all()
    assert [tuple(r) for r in rows] == [(date(2026, 3, 1), "done", True), (date(2026, 3, 2), "done", True)]


async def test_a_run_left_running_by_a_dead_replica_is_taken_over_once_stale(maker):
    name = f"test-{uuid.uuid4().hex[:8]}"
    day = date(2026, 3, 3)
    async with maker() as session, session.begin():  # a replica claimed the day, then died (no 'done')
        await session.execute(
            text(
                "INSERT INTO job_runs (job, day, owner, started_at) "
                "VALUES (:j, :d, 'dead:1', clock_timestamp() - interval '2 hours')"
            ),
            {"j": name, "d": day},
        )
    calls: list[date] = []

    async def run(m, on):
        calls.append(on)

    assert await DailyJob(name, at=time(6, 0), run=run).run_once(maker, day) is None
    assert calls == []  # 2 hours is not stale (the default is 6): it may still be running
    await DailyJob(name, at=time(6, 0), run=run, stale_after=3600).run_once(maker, day)
    assert calls == [day]
