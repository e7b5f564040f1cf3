"""All SQL of longevity gifts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import flush_in_savepoint, in_areas

from ..models import LongevityGift, OneOffPayment


async def add(session: AsyncSession, gift: LongevityGift) -> None:
    await flush_in_savepoint(session, gift)


async def get(session: AsyncSession, gift_id: uuid.UUID) -> LongevityGift | None:
    return await session.scalar(select(LongevityGift).where(LongevityGift.id == gift_id))


async def of_person(session: AsyncSession, person_id: uuid.UUID, year: int) -> LongevityGift | None:
    return await session.scalar(
        select(LongevityGift).where(LongevityGift.person_id == person_id, LongevityGift.year == year)
    )


async def payments(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, OneOffPayment]:
    if not ids:
        return {}
    rows = await session.scalars(select(OneOffPayment).where(OneOffPayment.id.in_(ids)))
    return {r.id: r for r in rows}


async def search(
    session: AsyncSession,
    *,
    areas: Sequence[str] | None,
    year: int,
    commune_code: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> Sequence[LongevityGift]:
    g = LongevityGift
    stmt = select(g).where(g.year == year)
    if areas is not None:
        stmt = stmt.where(in_areas(g, areas))
    if commune_code:
        stmt = stmt.where(g.commune_code == commune_code)
    if after is not None:
        stmt = stmt.where(tuple_(g.commune_code, g.id) > tuple_(literal(after[0]), literal(after[1])))
    return (await session.scalars(stmt.order_by(g.commune_code, g.id).limit(limit))).all()


_TOTALS = """
    SELECT g.age,
           count(*) AS gifts,
           count(*) FILTER (WHERE g.delivery = 'post_office') AS by_post,
           count(*) FILTER (WHERE g.delivery = 'in_kind') AS in_kind,
           coalesce(sum(g.cash), 0) AS cash_recorded,
           coalesce(sum(issued.amount), 0) AS cash_issued,
           coalesce(sum(issued.paid), 0) AS cash_paid,
           coalesce(sum(g.cash) FILTER (WHERE g.delivery = 'in_kind'), 0) AS cash_in_kind,
           coalesce(sum(g.in_kind_value), 0) AS in_kind_value,
           count(*) FILTER (WHERE g.in_kind_value IS NULL) AS in_kind_without_value
    FROM payments.longevity_gifts g
    LEFT JOIN LATERAL (
        -- Issued once an approved payroll took the gift's payment; paid: what the post office reported paid for it,
        -- on its own line or, after an unpaid result, carried on a later line of the programme.
        SELECT CASE WHEN o.payroll_id IS NOT NULL THEN o.amount ELSE 0 END AS amount,
               (SELECT sum(r.amount) FROM payments.line_results r
                WHERE r.programme = 'longevity' AND r.recipient_id = o.id AND r.outcome = 'paid') AS paid
        FROM payments.one_off_payments o
        WHERE o.id = g.one_off_payment_id
    ) issued ON true
    WHERE g.year = :year {areas}
    GROUP BY g.age ORDER BY g.age
"""


async def totals(session: AsyncSession, year: int, areas: Sequence[str] | None) -> list[dict[str, Any]]:
    where = ""
    params: dict[str, Any] = {"year": year}
    if areas is not None:
        where = "AND (g.province_code = ANY(:areas) OR g.district_code = ANY(:areas) OR g.commune_code = ANY(:areas))"
        params["areas"] = list(areas)
    rows = await session.execute(text(_TOTALS.format(areas=where)), params)
    return [dict(r._mapping) for r in rows]


# The merged record's gifts whose cash no payroll issued yet, in a year the survivor has a gift of its own: the same
# person would get two gifts. They go (with their unissued payments, returned), never paid.
_DUPLICATES = text("""
    DELETE FROM payments.longevity_gifts g
    WHERE g.person_id = :merged
      AND EXISTS (SELECT 1 FROM payments.longevity_gifts s WHERE s.person_id = :survivor AND s.year = g.year)
      AND EXISTS (SELECT 1 FROM payments.one_off_payments o WHERE o.id = g.one_off_payment_id AND o.payroll_id IS NULL)
    RETURNING g.one_off_payment_id""")

# The merged record's other gifts not yet issued become the survivor's (issued or in-kind ones stay as given).
_REKEY = text("""
    UPDATE payments.longevity_gifts g SET person_id = :survivor
    WHERE g.person_id = :merged
      AND NOT EXISTS (SELECT 1 FROM payments.longevity_gifts s WHERE s.person_id = :survivor AND s.year = g.year)
      AND EXISTS (SELECT 1 FROM payments.one_off_payments o
                  WHERE o.id = g.one_off_payment_id AND o.payroll_id IS NULL)""")


async def merge(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID) -> list[uuid.UUID]:
    params = {"merged": merged, "survivor": survivor}
    dropped = [r for r in (await session.scalars(_DUPLICATES, params)) if r is not None]
    await session.execute(_REKEY, params)
    return dropped
