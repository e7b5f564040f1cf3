"""All SQL of emergency relief."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import EmergencyRelief, OneOffPayment


async def get(session: AsyncSession, relief_id: uuid.UUID, *, for_update: bool = False) -> EmergencyRelief | None:
    stmt = select(EmergencyRelief).where(EmergencyRelief.id == relief_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def payments(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, OneOffPayment]:
    if not ids:
        return {}
    return {r.id: r for r in await session.scalars(select(OneOffPayment).where(OneOffPayment.id.in_(ids)))}


async def search(
    session: AsyncSession,
    *,
    areas: Sequence[str] | None,
    first: date,
    last: date,
    commune_code: str | None,
    status: str | None,
    after: tuple[date, str, uuid.UUID] | None,
    limit: int,
) -> Sequence[EmergencyRelief]:
    r = EmergencyRelief
    stmt = select(r).where(r.decided_on.between(first, last))
    if areas is not None:
        stmt = stmt.where(in_areas(r, areas))
    if commune_code:
        stmt = stmt.where(r.commune_code == commune_code)
    if status:
        stmt = stmt.where(r.status == status)
    if after is not None:
        stmt = stmt.where(
            tuple_(r.decided_on, r.commune_code, r.id) > tuple_(literal(after[0]), literal(after[1]), literal(after[2]))
        )
    return (await session.scalars(stmt.order_by(r.decided_on, r.commune_code, r.id).limit(limit))).all()


_TOTALS = """
    SELECT e.kind,
           count(*) FILTER (WHERE e.status = 'decided') AS decided,
           count(*) FILTER (WHERE e.status = 'approved') AS approved,
           coalesce(sum(e.amount) FILTER (WHERE e.status = 'approved'), 0) AS amount_approved,
           coalesce(sum(CASE WHEN o.payroll_id IS NOT NULL THEN o.amount END), 0) AS cash_issued,
           coalesce(sum((SELECT sum(r.amount) FROM payments.line_results r
                         WHERE r.programme = 'emergency' AND r.recipient_id = o.id AND r.outcome = 'paid')), 0)
               AS cash_paid,
           coalesce(sum(e.rice_kg) FILTER (WHERE e.status = 'approved'), 0) AS rice_kg
    FROM payments.emergency_reliefs e
    LEFT JOIN payments.one_off_payments o ON o.id = e.one_off_payment_id
    WHERE e.decided_on BETWEEN :first AND :last {areas}
    GROUP BY e.kind
"""


async def totals(session: AsyncSession, year: int, areas: Sequence[str] | None) -> list[dict[str, Any]]:
    where = ""
    params: dict[str, Any] = {"first": date(year, 1, 1), "last": date(year, 12, 31)}
    if areas is not None:
        where = "AND (e.province_code = ANY(:areas) OR e.district_code = ANY(:areas) OR e.commune_code = ANY(:areas))"
        params["areas"] = list(areas)
    return [dict(r._mapping) for r in await session.execute(text(_TOTALS.format(areas=where)), params)]


async def rekey_current(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID) -> None:
    """Reliefs of ``merged`` not yet approved, or approved but not yet issued by a payroll, name ``survivor``."""
    await session.execute(
        text("""
        UPDATE payments.emergency_reliefs e SET person_id = :survivor, version = e.version + 1
        WHERE e.person_id = :merged AND (e.status = 'decided' OR EXISTS (
            SELECT 1 FROM payments.one_off_payments o WHERE o.id = e.one_off_payment_id AND o.payroll_id IS NULL))"""),
        {"merged": merged, "survivor": survivor},
    )
