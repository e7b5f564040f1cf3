"""Jobs that run once a day inside a service process, at a local time in Viet Nam (Asia/Ho_Chi_Minh).

A :class:`DailyJob` sleeps until its time, calls ``run(maker, today)`` and logs the outcome; it never stops on a
failure (the database may be away: the next day's run tries again). The job gets the engine's sessionmaker, never a
request's session, and commits in transactions of its own: the job is its own boundary, as a request's is the session
dependency (:func:`in_transaction` wraps a use case that takes a session). Started and cancelled through
``create_service_app(on_startup=[job.start], on_shutdown=[job.stop])``::

    job = DailyJob("reconciliation", at=settings.reconciliation_at, run=in_transaction(sweep),
                   enabled=settings.reconciliation_daily)

Every replica runs its own copy: a job must be safe to run twice on the same day (a lock, a unique key).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from . import clock
from .asgi import cancel_and_wait
from .clock import VIETNAM_TZ

Maker = Callable[[], AsyncSession]
Run = Callable[[Maker, date], Awaitable[Any]]

log = structlog.get_logger("daily")


def today_in_vietnam(now: datetime | None = None) -> date:
    return clock.to_vietnam_date(now) if now is not None else clock.today()


def seconds_until(now: datetime, at: time) -> float:
    """Seconds from ``now`` (aware) to the next ``at`` in Viet Nam time (a full day when it is exactly ``at``)."""
    local = now.astimezone(VIETNAM_TZ)
    target = datetime.combine(local.date(), at, tzinfo=VIETNAM_TZ)
    if target <= local:
        target += timedelta(days=1)
    return (target - local).total_seconds()


def in_transaction(use_case: Callable[[AsyncSession, date], Awaitable[Any]]) -> Run:
    """A :data:`Run` that calls ``use_case(session, day)`` in one transaction of its own, committed on success."""

    async def run(maker: Maker, on: date) -> Any:
        async with maker() as session, session.begin():
            return await use_case(session, on)

    return run


@dataclass
class DailyJob:
    """``run(maker, day)`` every day at ``at`` (Viet Nam time) while the app runs, if ``enabled``.

    The task is kept in ``app.state.<name>_task`` (None when disabled). Log lines: ``<name>_done`` (info, ``on``,
    ``result``: what ``run`` returned, unless None) and ``<name>_failed`` (warning, ``error``, ``detail``)."""

    name: str
    at: time
    run: Run
    enabled: bool = True

    @property
    def state_attr(self) -> str:
        return f"{self.name}_task"

    async def run_once(self, maker: Maker, on: date) -> Any:
        """One run for day ``on``, logged; a failure is logged and swallowed (returns None)."""
        try:
            result = await self.run(maker, on)
        except Exception as exc:  # the database may be away; tomorrow's run tries again
            log.warning(f"{self.name}_failed", on=on.isoformat(), error=type(exc).__name__, detail=str(exc)[:200])
            return None
        log.info(f"{self.name}_done", on=on.isoformat(), **({} if result is None else {"result": result}))
        return result

    async def _loop(self, maker: Maker) -> None:
        while True:
            await asyncio.sleep(seconds_until(datetime.now(UTC), self.at))
            await self.run_once(maker, today_in_vietnam())

    async def start(self, app: FastAPI) -> None:
        task = None
        if self.enabled:
            # The engine's sessionmaker, taken now: the job has its own transactions, never a request's.
            task = asyncio.create_task(self._loop(app.state.sessionmaker), name=f"{self.name}-daily")
        setattr(app.state, self.state_attr, task)

    async def stop(self, app: FastAPI) -> None:
        await cancel_and_wait(getattr(app.state, self.state_attr, None))
