"""All SQL of foster placements: the inbox handlers' upserts (one statement each) and the officers' reads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import FosterPlacement

# A redelivered or repeated event with the same content changes nothing (version unchanged); anything new raises the
# version, so the next payroll compares the placement's past months again.
_UPSERT = text("""
    INSERT INTO payments.foster_placements AS f (id, child_id, person_id, case_id, case_number, foster_allowance,
        child_birth_date, starts_on, first_month, last_month, rate_change_month, recipient_name, commune_code,
        district_code, province_code)
    VALUES (:id, :child_id, :person_id, :case_id, :case_number, :foster_allowance, :child_birth_date, :starts_on,
        :first_month, :last_month, :rate_change_month, :recipient_name, :commune_code, :district_code, :province_code)
    ON CONFLICT (id) DO UPDATE SET
        child_id = EXCLUDED.child_id, person_id = EXCLUDED.person_id, case_id = EXCLUDED.case_id,
        case_number = EXCLUDED.case_number, foster_allowance = EXCLUDED.foster_allowance,
        child_birth_date = EXCLUDED.child_birth_date, starts_on = EXCLUDED.starts_on,
        first_month = EXCLUDED.first_month, last_month = EXCLUDED.last_month,
        rate_change_month = EXCLUDED.rate_change_month, recipient_name = EXCLUDED.recipient_name,
        commune_code = EXCLUDED.commune_code, district_code = EXCLUDED.district_code,
        province_code = EXCLUDED.province_code, version = f.version + 1, updated_at = now()
    WHERE (f.child_id, f.person_id, f.case_id, f.case_number, f.foster_allowance, f.child_birth_date, f.starts_on,
           f.first_month, f.last_month, f.rate_change_month, f.commune_code)
          IS DISTINCT FROM
          (EXCLUDED.child_id, EXCLUDED.person_id, EXCLUDED.case_id, EXCLUDED.case_number, EXCLUDED.foster_allowance,
           EXCLUDED.child_birth_date, EXCLUDED.starts_on, EXCLUDED.first_month, EXCLUDED.last_month,
           EXCLUDED.rate_change_month, EXCLUDED.commune_code)
""")


async def upsert(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(_UPSERT, row)


async def get_for_update(session: AsyncSession, placement_id: uuid.UUID) -> Any:
    return (
        await session.execute(
            text(
                "SELECT id, starts_on, ends_on, child_birth_date, foster_allowance FROM payments.foster_placements "
                "WHERE id = :id FOR UPDATE"
            ),
            {"id": placement_id},
        )
    ).one_or_none()


async def set_end(
    session: AsyncSession,
    placement_id: uuid.UUID,
    ends_on: Any,
    first_month: Any,
    last_month: Any,
    rate_change_month: Any,
) -> None:
    await session.execute(
        text("""
        UPDATE payments.foster_placements
        SET ends_on = :ends_on, first_month = :first_month, last_month = :last_month,
            rate_change_month = :rate_change_month, version = version + 1, updated_at = now()
        WHERE id = :id AND ends_on IS DISTINCT FROM CAST(:ends_on AS date)
    """),
        {
            "id": placement_id,
            "ends_on": ends_on,
            "first_month": first_month,
            "last_month": last_month,
            "rate_change_month": rate_change_month,
        },
    )


async def search(
    session: AsyncSession,
    *,
    areas: Sequence[str] | None,
    commune_code: str | None,
    in_force: date | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> Sequence[FosterPlacement]:
    f = FosterPlacement
    stmt = select(f)
    if areas is not None:
        stmt = stmt.where(in_areas(FosterPlacement, areas))
    if commune_code:
        stmt = stmt.where(f.commune_code == commune_code)
    if in_force is not None:
        stmt = stmt.where(f.first_month <= in_force, f.last_month >= in_force)
    if after is not None:
        stmt = stmt.where(tuple_(f.commune_code, f.id) > tuple_(literal(after[0]), literal(after[1])))
    return (await session.scalars(stmt.order_by(f.commune_code, f.id).limit(limit))).all()


async def get(session: AsyncSession, placement_id: uuid.UUID) -> FosterPlacement | None:
    return await session.get(FosterPlacement, placement_id)


async def rekey_current(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID, today: date) -> None:
    """Placements of the child ``merged`` not ended before ``today`` name the child's surviving record."""
    await session.execute(
        text("""
        UPDATE payments.foster_placements SET person_id = :survivor
        WHERE person_id = :merged AND (ends_on IS NULL OR ends_on >= :today)"""),
        {"merged": merged, "survivor": survivor, "today": today},
    )
