"""The daily run of the level-changes job inside the service process, at a local time (Asia/Ho_Chi_Minh),
followed by a sweep of the entitlement schedules (:func:`..schedules.service.sweep`).

The runner is :class:`common.daily.DailyJob`: started by the app's lifespan when ``REGISTRY_LEVEL_CHANGES_DAILY`` is
true (the default), cancelled at shutdown. Every replica runs it: the advisory lock and the primary key of
``level_changes`` make the extra runs publish nothing. A failed run is logged (``level_changes_failed``) and retried
the next day; since a run covers its whole month, a missed day is caught up by the next run of the month (or
``POST /jobs/level-changes?on=``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common.daily import DailyJob, seconds_until

from ..parameters.service import load_parameters
from ..schedules import service as schedules_service
from ..settings import RegistrySettings
from . import service

__all__ = ["job", "run_daily", "run_once", "seconds_until"]


async def run_once(maker: Callable[[], AsyncSession], on: date) -> int:
    """One run in its own transaction (committed here: this is the job's boundary, as a request's is the
    session dependency). Returns how many events it published."""
    async with maker() as session, session.begin():
        published = await service.run(session, await load_parameters(session), on)
    return len(published)


async def run_daily(maker: Callable[[], AsyncSession], on: date) -> int:
    """The level changes of ``on``, then every schedule — even when the level changes failed: the horizon moves on,
    and anything a failed refresh left unsent goes out now."""
    try:
        return await run_once(maker, on)
    finally:
        await schedules_service.sweep_logged(maker, "daily")


def job(settings: RegistrySettings) -> DailyJob:
    """The task lives in ``app.state.level_changes_task``; its log lines are ``level_changes_done`` (``result``: the
    number of events published) and ``level_changes_failed``."""
    return DailyJob("level_changes", at=settings.level_changes_at, run=run_daily, enabled=settings.level_changes_daily)
