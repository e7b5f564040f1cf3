"""Jobs that run once a day inside a service process, at a local time in Viet Nam (Asia/Ho_Chi_Minh).

A :class:`DailyJob` sleeps until its time, calls ``run(maker, today)`` and logs the outcome; it never stops on a
failure (the database may be away: the next day's run tries again). The job gets the engine's sessionmaker, never a
request's session, and commits in transactions of its own: the job is its own boundary, as a request's is the session
dependency (:func:`in_transaction` wraps a use case that takes a session). Started and cancelled through
``create_service_app(on_startup=[job.start], on_shutdown=[job.stop])``::

    job = DailyJob("reconciliation", at=settings.reconciliation_at, run=in_transaction(sweep),
                   enabled=settings.reconciliation_daily)

Every replica runs its own loop, but a day's run happens **once**: before running, a replica claims ``(job, day)`` in
its schema's ``job_runs`` table (:func:`job_runs_table`, one row per job and day, committed before the run starts). The
replica whose insert wins runs the job and marks the row ``done`` (or ``failed``); the others find the row and log
``<name>_skipped``. A ``failed`` run may be claimed again the same day (by any replica, e.g. after a restart); a
replica killed mid-run leaves its row ``running`` with its ``started_at``: after ``stale_after`` (default 6 hours)
another replica may take it over, and in any case the next day's run catches up (every job here is a sweep over
everything due, not only over the day's changes). Jobs stay safe to run twice (a lock, a unique key): the claim is
what keeps the second replica from doing the work at all, not what keeps it correct.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy import Column, Date, DateTime, MetaData, Table, Text, func, text
from sqlalchemy.ext.asyncio import AsyncSession

from . import clock
from .asgi import cancel_and_wait
from .clock import VIETNAM_TZ

Maker = Callable[[], AsyncSession]
Run = Callable[[Maker, date], Awaitable[Any]]

log = structlog.get_logger("daily")


def job_runs_table(metadata: MetaData) -> Table:
    """``job_runs`` in a component's schema: the claim of each daily job's run, one row per (job, day)."""
    return Table(
        "job_runs",
        metadata,
        Column("job", Text, primary_key=True),
        Column("day", Date, primary_key=True),
        Column("status", Text, nullable=False, server_default="running"),
        Column("owner", Text, nullable=False),
        Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()),
        Column("finished_at", DateTime(timezone=True)),
        comment="Daily jobs' runs: the replica whose row this is runs the job for that day, the others skip it",
    )


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# The claim: a new row wins; so does a failed run's row, or a running one older than the stale limit (its replica
# died mid-run). The unique key decides between replicas that try at the same moment.
_CLAIM = text("""
    INSERT INTO job_runs (job, day, owner) VALUES (:job, :day, :owner)
    ON CONFLICT (job, day) DO UPDATE SET status = 'running', owner = EXCLUDED.owner, started_at = clock_timestamp(),
        finished_at = NULL
    WHERE job_runs.status = 'failed'
       OR (job_runs.status = 'running' AND job_runs.started_at < clock_timestamp() - make_interval(secs => :stale))
    RETURNING owner
""")
_FINISH = text(
    "UPDATE job_runs SET status = :status, finished_at = clock_timestamp() "
    "WHERE job = :job AND day = :day AND owner = :owner"
)


def today_in_vietnam(now: datetime | None = None) -> date:
    return clock.to_vietnam_date(now) if now is not None else clock.today()


def next_run(now: datetime, at: time) -> datetime:
    """The next ``at`` in Viet Nam time after ``now`` (aware): tomorrow's when it is exactly ``at`` or later."""
    local = now.astimezone(VIETNAM_TZ)
    target = datetime.combine(local.date(), at, tzinfo=VIETNAM_TZ)
    if target <= local:
        target += timedelta(days=1)
    return target


def seconds_until(now: datetime, at: time) -> float:
    """Seconds from ``now`` (aware) to the next ``at`` in Viet Nam time (a full day when it is exactly ``at``)."""
    return (next_run(now, at) - now).total_seconds()


def in_transaction(use_case: Callable[[AsyncSession, date], Awaitable[Any]]) -> Run:
    """A :data:`Run` that calls ``use_case(session, day)`` in one transaction of its own, committed on success."""

    async def run(maker: Maker, on: date) -> Any:
        async with maker() as session, session.begin():
            return await use_case(session, on)

    return run


@dataclass
class DailyJob:
    """``run(maker, day)`` every day at ``at`` (Viet Nam time) while the app runs, if ``enabled``.

    The task is kept in ``app.state.<name>_task`` (None when disabled). Log lines: ``<name>_scheduled`` (info, ``at``:
    the next run's instant in Viet Nam time, when the process starts and after each run), ``<name>_done`` (info,
    ``on``, ``result``: what ``run`` returned, unless None) and ``<name>_failed`` (warning, ``error``, ``detail``)."""

    name: str
    at: time
    run: Run
    enabled: bool = True
    once: bool = True
    """Claim ``(name, day)`` in ``job_runs`` first, so one replica runs it (False: every call runs, no table)."""
    stale_after: float = 6 * 3600.0

    @property
    def state_attr(self) -> str:
        return f"{self.name}_task"

    async def _claim(self, maker: Maker, on: date, owner: str) -> bool:
        async with maker() as session, session.begin():
            won = await session.scalar(_CLAIM, {"job": self.name, "day": on, "owner": owner, "stale": self.stale_after})
        return won is not None

    async def _finish(self, maker: Maker, on: date, owner: str, status: str) -> None:
        async with maker() as session, session.begin():
            await session.execute(_FINISH, {"job": self.name, "day": on, "owner": owner, "status": status})

    async def run_once(self, maker: Maker, on: date) -> Any:
        """One run for day ``on``, logged; a failure is logged and swallowed (returns None). With ``once``, only
        the replica that claims the day runs it; the others log ``<name>_skipped`` and return None."""
        owner = _owner()
        try:
            if self.once and not await self._claim(maker, on, owner):
                log.info(f"{self.name}_skipped", on=on.isoformat(), reason="claimed by another run")
                return None
            result = await self.run(maker, on)
        except Exception as exc:  # the database may be away; tomorrow's run tries again
            log.warning(f"{self.name}_failed", on=on.isoformat(), error=type(exc).__name__, detail=str(exc)[:200])
            if self.once:
                try:
                    await self._finish(maker, on, owner, "failed")  # another try the same day may claim it
                except Exception:  # the database is away: the row stays 'running' until stale
                    log.warning(f"{self.name}_unmarked", on=on.isoformat())
            return None
        if self.once:
            try:
                await self._finish(maker, on, owner, "done")
            except Exception as exc:  # the work is committed; the claim row stays 'running'
                log.warning(f"{self.name}_unmarked", on=on.isoformat(), error=type(exc).__name__)
        log.info(f"{self.name}_done", on=on.isoformat(), **({} if result is None else {"result": result}))
        return result

    async def _loop(self, maker: Maker) -> None:
        while True:
            now = datetime.now(UTC)
            due = next_run(now, self.at)
            log.info(f"{self.name}_scheduled", at=due.isoformat())
            await asyncio.sleep((due - now).total_seconds())
            await self.run_once(maker, today_in_vietnam())

    async def start(self, app: FastAPI) -> None:
        task = None
        if self.enabled:
            # The engine's sessionmaker, taken now: the job has its own transactions, never a request's.
            task = asyncio.create_task(self._loop(app.state.sessionmaker), name=f"{self.name}-daily")
        setattr(app.state, self.state_attr, task)

    async def stop(self, app: FastAPI) -> None:
        await cancel_and_wait(getattr(app.state, self.state_attr, None))
