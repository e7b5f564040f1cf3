"""Reference data use cases: the groups, the working-day calendar, the commune check of every write."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import sees
from common.errors import NotFound, ValidationFailed
from common.units import Place, UnitProblem, seed_units

from ..access import Reader
from ..rules.deadlines import Calendar
from . import repository


def place_for_write(reader: Reader, commune_code: str, field: str = "body.commune_code") -> Place:
    """Where a record written today in ``commune_code`` is: the rule of every service (``common/units.py``) — a
    commune in force today (a 2025 commune: province 86, no district; a pre-2025 code was abolished on 2025-07-01
    and is refused naming what it became), else 422 naming ``field``. A commune outside the caller's areas is 404,
    as every record outside them (docs/partners.md, child protection)."""
    try:
        place = seed_units().commune_on(commune_code, clock.today())
    except UnitProblem as exc:
        raise ValidationFailed([{"field": field, "reason": exc.reason}]) from None
    if not sees(reader, place):
        raise NotFound(f"commune {commune_code} is outside the client's areas")
    return place


async def calendar(session: AsyncSession) -> Calendar:
    """The working-day calendar with the holidays recorded from a year ago on (deadlines look forward)."""
    return Calendar(await repository.holiday_days(session, clock.today() - timedelta(days=366)))


async def check_groups(session: AsyncSession, codes: list[str], field: str) -> None:
    known = await repository.group_codes(session)
    bad = [c for c in codes if c not in known]
    if bad:
        raise ValidationFailed([{"field": field, "reason": f"unknown group(s) {', '.join(bad)}; see /groups"}])


async def remove_holiday(session: AsyncSession, day: date) -> None:
    if not await repository.delete_holiday(session, day):
        raise NotFound(f"no holiday on {day.isoformat()}")
