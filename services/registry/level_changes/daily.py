"""The daily run of the level-changes job inside the service process, at a local time (Asia/Ho_Chi_Minh),
followed by a sweep of the entitlement schedules (:func:`..schedules.service.sweep`).

Started by the app's lifespan when ``REGISTRY_LEVEL_CHANGES_DAILY`` is true (the default), cancelled at shutdown.
Every replica runs it: the advisory lock and the primary key of ``level_changes`` make the extra runs publish
nothing. A failed run is logged (``level_changes_failed``) and retried the next day; since a run covers its whole
month, a missed day is caught up by the next run of the month (or ``POST /jobs/level-changes?on=``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from common.asgi import cancel_and_wait

from ..clock import today_in_vietnam
from ..parameters.service import load_parameters
from ..rules.months import VIETNAM_TZ
from ..schedules import service as schedules_service
from . import service

log = structlog.get_logger("registry.level_changes")


def seconds_until(now: datetime, at: time) -> float:
    """Seconds from ``now`` (aware) to the next ``at`` in Viet Nam time (a full day when it is exactly ``at``)."""
    local = now.astimezone(VIETNAM_TZ)
    target = datetime.combine(local.date(), at, tzinfo=VIETNAM_TZ)
    if target <= local:
        target += timedelta(days=1)
    return (target - local).total_seconds()


async def run_once(maker: Callable[[], AsyncSession], on: date) -> int:
    """One run in its own transaction (committed here: this is the job's boundary, as a request's is the
    session dependency). Returns how many events it published."""
    async with maker() as session, session.begin():
        published = await service.run(session, await load_parameters(session), on)
    return len(published)


async def _loop(maker: Callable[[], AsyncSession], at: time) -> None:
    while True:
        await asyncio.sleep(seconds_until(datetime.now(UTC), at))
        on = today_in_vietnam()
        try:
            count = await run_once(maker, on)
        except Exception as exc:  # the database may be away; tomorrow's run covers the month again
            log.warning("level_changes_failed", on=on.isoformat(), error=type(exc).__name__, detail=str(exc)[:200])
        else:
            log.info("level_changes_published", on=on.isoformat(), count=count)
        # Every schedule too: the horizon moves on, and anything a failed refresh left unsent goes out now.
        await schedules_service.sweep_logged(maker, "daily")


async def start(app: FastAPI) -> None:
    settings = app.state.settings
    app.state.level_changes_task = None
    if settings.level_changes_daily:
        # The engine's sessionmaker, taken now: the job has its own transactions, never a request's.
        app.state.level_changes_task = asyncio.create_task(
            _loop(app.state.sessionmaker, settings.level_changes_at), name="registry-level-changes")


async def stop(app: FastAPI) -> None:
    await cancel_and_wait(getattr(app.state, "level_changes_task", None))
