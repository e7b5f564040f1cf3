"""All SQL of households' electricity-use declarations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import ElectricityUse

# The household's area: from the projection's household (poverty statuses), else from a member on the allowance.
_AREA = text("""
    SELECT commune_code, district_code, province_code FROM payments.households WHERE id = :id
    UNION ALL
    (SELECT commune_code, district_code, province_code FROM payments.beneficiaries WHERE household_id = :id
     ORDER BY updated_at DESC LIMIT 1)
    LIMIT 1
""")

_UPSERT = text("""
    INSERT INTO payments.electricity_use AS u (household_id, valid_from, low_use, document, commune_code,
                                               district_code, province_code, recorded_by)
    VALUES (:id, :valid_from, :low_use, :document, :commune, :district, :province, :by)
    ON CONFLICT (household_id, valid_from) DO UPDATE SET low_use = EXCLUDED.low_use, document = EXCLUDED.document,
        commune_code = EXCLUDED.commune_code, district_code = EXCLUDED.district_code,
        province_code = EXCLUDED.province_code, recorded_at = now(), recorded_by = EXCLUDED.recorded_by
""")


async def area(session: AsyncSession, household_id: uuid.UUID) -> tuple[str, str, str] | None:
    row = (await session.execute(_AREA, {"id": household_id})).first()
    return None if row is None else (row[0], row[1], row[2])


async def declare(
    session: AsyncSession,
    household_id: uuid.UUID,
    valid_from: date,
    low_use: bool,
    document: str,
    area: tuple[str, str, str],
    by: str,
) -> None:
    await session.execute(
        _UPSERT,
        {
            "id": household_id,
            "valid_from": valid_from,
            "low_use": low_use,
            "document": document,
            "commune": area[0],
            "district": area[1],
            "province": area[2],
            "by": by,
        },
    )


async def declarations(session: AsyncSession, household_id: uuid.UUID) -> Sequence[ElectricityUse]:
    return (
        await session.scalars(
            select(ElectricityUse)
            .where(ElectricityUse.household_id == household_id)
            .order_by(ElectricityUse.valid_from)
            .execution_options(populate_existing=True)
        )
    ).all()
