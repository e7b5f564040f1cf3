"""Reference data use cases: the groups, the working-day calendar, the commune check of every write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.errors import NotFound, ValidationFailed

from ..rules.deadlines import Calendar
from . import repository


@dataclass(frozen=True)
class Area:
    commune_code: str
    district_code: str
    province_code: str


async def resolve_commune(session: AsyncSession, commune_code: str, field: str = "body.commune_code") -> Area:
    """The commune's district and province, or 422 naming ``field``. The one place writes check a commune code
    (pre-2025 codes and the 2025 communes; a 2025 commune that came from one old district is reported under it)."""
    unit = await repository.unit(session, commune_code)
    if unit is None:
        raise ValidationFailed([{"field": field, "reason": f"{commune_code!r} is not a commune of the province"}])
    district = unit.district_code or (unit.old_district_codes[0] if len(unit.old_district_codes) == 1 else "")
    return Area(unit.commune_code, district, unit.province_code)


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
