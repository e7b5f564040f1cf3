"""Today's date where the business happens (Asia/Ho_Chi_Minh): the shared clock of ``common.clock``."""

from __future__ import annotations

from datetime import date

from common import clock


def today_in_vietnam() -> date:
    return clock.today()
