"""The cards' daily job inside the service process (``common.daily.DailyJob``), at ``INSURANCE_DAILY_AT`` (default
05:00 Viet Nam time): persons whose decision depends on the date are decided again (every person with a segment
starting or ending by today is re-queued: a child turning 6, a status ending), cards ending in 30 days are announced
(``insurance.card.expiring.v1``, once per card) and cards past their last day end (``expired``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.daily import DailyJob, in_transaction

from ..decisions import service as decisions
from ..parameters import service as parameters
from ..settings import InsuranceSettings
from . import service


async def run(session: AsyncSession, today: date) -> dict[str, Any]:
    requeued = await decisions.requeue_ending(session, today)
    decided = await decisions.decide_all_pending(session)
    params = await parameters.load(session, today)
    announced, expired = await service.expire(session, today, params.groups)
    return {"requeued": requeued, "decided": decided, "expiring": announced, "expired": expired}


def job(settings: InsuranceSettings) -> DailyJob:
    return DailyJob("insurance_daily", at=settings.daily_at, run=in_transaction(run), enabled=settings.daily)
