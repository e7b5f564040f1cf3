"""The reconciliation deadline sweep once a day inside the service process (``common.daily.DailyJob``).

At ``PAYMENTS_RECONCILIATION_AT`` (default 06:00, Viet Nam time) when ``PAYMENTS_RECONCILIATION_DAILY`` is true (the
default): the same sweep as ``POST /reconciliation/run`` for today, in a transaction of its own. Every replica runs it;
the partial unique index on ``missing_result`` exceptions makes the extra runs add nothing. A failed run is logged
(``reconciliation_failed``); the next day's run flags everything still missing, since the sweep looks at every batch
past its deadline, not only yesterday's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.daily import DailyJob

from ..settings import PaymentsSettings
from . import service


async def run_once(maker: Callable[[], AsyncSession], on: date) -> dict[str, Any]:
    """One sweep for day ``on`` in its own transaction (committed here: the job is its own boundary)."""
    async with maker() as session, session.begin():
        out = await service.sweep(session, on)
    return out.model_dump(mode="json")


def job(settings: PaymentsSettings) -> DailyJob:
    """The task lives in ``app.state.reconciliation_task``; log lines ``reconciliation_done`` (``result``: ``on``,
    ``missing_results``, ``batches``) and ``reconciliation_failed``."""
    return DailyJob(
        "reconciliation", at=settings.reconciliation_at, run=run_once, enabled=settings.reconciliation_daily
    )
