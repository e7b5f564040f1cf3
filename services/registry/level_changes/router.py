"""HTTP route of the level-changes job (the gateway serves it under ``/registry``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from common.auth import require
from common.db import SessionDep
from common.errors import ValidationFailed

from ..clock import today_in_vietnam
from ..parameters.service import load_parameters
from ..rules.months import Month
from . import service
from .schemas import LevelChangeRun, PublishedChange

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("/level-changes", response_model=LevelChangeRun, dependencies=[require("admin")])
async def run_level_changes(
    session: SessionDep,
    on: Annotated[
        date | None, Query(description="The day to run for (default: today in Viet Nam); not in the future")
    ] = None,
) -> LevelChangeRun:
    """Run the daily level-changes job now, for the month of `on` (scope `admin`).

    Publishes `registry.beneficiary.level_changed.v1` for every beneficiary whose level changes in that month
    because of a birthday (a child turning 4, an elderly person turning 80, an end of category by age…), once per
    beneficiary and month: a change an earlier run (the daily one, another replica, a previous call) already
    published is not published again, so the call is safe to repeat and returns only what it published. Use it to
    re-run a day the service was down, or a month whose changes appeared later (a retroactive approval). `on`
    in the future gets `422`.
    """
    day = on or today_in_vietnam()
    if day > today_in_vietnam():
        raise ValidationFailed([{"field": "query.on", "reason": "must not be in the future"}])
    published = await service.run(session, await load_parameters(session), day)
    return LevelChangeRun(
        on=day,
        effective_month=Month.of(day),
        published=[PublishedChange(event_id=event_id, **data.model_dump()) for event_id, data in published],
    )
