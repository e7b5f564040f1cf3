"""All SQL of reports: the administrative units and the 2025 mapping, loaded once per report."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import AdminUnit, UnitMapping
from ..rules.units import Mapping, Unit, Units


async def units(session: AsyncSession) -> Units:
    """Every unit and mapping (a province has a few hundred: two small queries)."""
    unit_rows = await session.execute(select(AdminUnit.code, AdminUnit.name, AdminUnit.province_code,
                                             AdminUnit.valid_to))
    mapping_rows = await session.execute(select(UnitMapping.old_code, UnitMapping.new_code, UnitMapping.new_name,
                                                UnitMapping.new_province_code))
    return Units([Unit(*r) for r in unit_rows.tuples()], [Mapping(*r) for r in mapping_rows.tuples()])
