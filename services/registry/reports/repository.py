"""All SQL of reports: the administrative units and the 2025 mapping, loaded once per report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import AdminUnit, Person, UnitMapping
from ..rules.units import Mapping, Unit, Units


async def units(session: AsyncSession) -> Units:
    """Every unit and mapping (a province has a few hundred: two small queries)."""
    unit_rows = await session.execute(
        select(AdminUnit.code, AdminUnit.name, AdminUnit.province_code, AdminUnit.valid_to)
    )
    mapping_rows = await session.execute(
        select(UnitMapping.old_code, UnitMapping.new_code, UnitMapping.new_name, UnitMapping.new_province_code)
    )
    return Units([Unit(*r) for r in unit_rows.tuples()], [Mapping(*r) for r in mapping_rows.tuples()])


LONGEVITY_AGES = (90, 100)
"""Ages at which the elderly receive a longevity gift (Law on the Elderly Art. 21; docs/rules.md)."""


async def reaching(session: AsyncSession, year: int, alive_on: date, areas: Sequence[str] | None) -> Sequence[Person]:
    """Persons (not merged into another record) born in ``year`` − 90 or ``year`` − 100, alive on ``alive_on``,
    within ``areas`` (None: everywhere). The birth-date index serves both ranges."""
    born = or_(
        *(Person.date_of_birth.between(date(year - age, 1, 1), date(year - age, 12, 31)) for age in LONGEVITY_AGES)
    )
    query = (
        select(Person)
        .where(born, Person.merged_into.is_(None), or_(Person.death_date.is_(None), Person.death_date > alive_on))
        .order_by(Person.province_code, Person.district_code, Person.commune_code, Person.date_of_birth, Person.id)
    )
    if areas is not None:
        query = query.where(in_areas(Person, areas))
    return (await session.scalars(query)).all()
