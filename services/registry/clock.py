"""Today's date where the business happens (Asia/Ho_Chi_Minh), for checks and jobs that depend on the day."""

from __future__ import annotations

from datetime import date, datetime

from .rules.months import VIETNAM_TZ


def today_in_vietnam() -> date:
    return datetime.now(VIETNAM_TZ).date()
