"""The daily deadline alerts, run inside the service process."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common.daily import DailyJob, in_transaction

from ..settings import ChildProtectionSettings
from . import service


def job(settings: ChildProtectionSettings) -> DailyJob:
    async def run(session: AsyncSession, day: date) -> dict[str, int]:
        return await service.publish_alerts(session, day, settings.due_soon_hours)

    return DailyJob(
        "deadline_alerts",
        at=settings.deadline_alerts_at,
        run=in_transaction(run),
        enabled=settings.deadline_alerts_daily,
    )
