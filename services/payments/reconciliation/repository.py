"""All SQL of reconciliation: exceptions (written set-based), their pages, the deadline sweep."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import Batch, DisbursementException

_COLUMNS = (
    "kind, batch_id, payroll_id, line_id, commune_code, district_code, province_code, expected, reported, "
    "detail, created_by"
)

_FROM_ITEMS = text(f"""
    INSERT INTO payments.disbursement_exceptions ({_COLUMNS})
    SELECT x.kind, b.id, b.payroll_id, x.line_id, b.commune_code, b.district_code, b.province_code, x.expected,
           x.reported, x.detail, :by
    FROM jsonb_to_recordset(CAST(:items AS jsonb)) AS x(kind text, line_id uuid, expected bigint, reported bigint,
                                                        detail jsonb)
    JOIN payments.batches b ON b.id = :batch_id
""")


async def add(session: AsyncSession, batch: Batch, items: Sequence[dict[str, Any]], by: str) -> None:
    """Exceptions about lines of ``batch`` (``kind``, ``line_id``, ``expected``, ``reported``, ``detail`` each)."""
    if items:
        await session.execute(_FROM_ITEMS, {"items": json.dumps(items, default=str), "batch_id": batch.id, "by": by})


_MISMATCHES = text(f"""
    INSERT INTO payments.disbursement_exceptions ({_COLUMNS})
    SELECT 'amount_mismatch', r.batch_id, r.payroll_id, r.line_id, l.commune_code, l.district_code, l.province_code,
           r.line_total, r.amount,
           jsonb_build_object('paid_on', r.paid_on, 'receipt_number', r.receipt_number,
                              'difference', r.amount - r.line_total), :by
    FROM payments.line_results r JOIN payments.payroll_lines l ON l.id = r.line_id
    WHERE r.line_id = ANY(:ids) AND r.outcome = 'paid' AND r.amount <> r.line_total
""")


async def amount_mismatches(session: AsyncSession, ids: Sequence[uuid.UUID], by: str) -> None:
    await session.execute(_MISMATCHES, {"ids": list(ids), "by": by})


_MISSING = text(f"""
    WITH ins AS (
        INSERT INTO payments.disbursement_exceptions ({_COLUMNS})
        SELECT 'missing_result', b.id, b.payroll_id, l.id, b.commune_code, b.district_code, b.province_code, l.total,
               NULL, jsonb_build_object('deadline', b.deadline), :by
        FROM payments.batches b
        JOIN payments.payroll_lines l ON l.payroll_id = b.payroll_id AND l.commune_code = b.commune_code
             AND l.total > 0
        WHERE b.deadline < :on AND b.status <> 'complete'
          AND NOT EXISTS (SELECT 1 FROM payments.line_results r WHERE r.line_id = l.id)
        ON CONFLICT (line_id) WHERE kind = 'missing_result' DO NOTHING
        RETURNING batch_id
    )
    SELECT count(*), count(DISTINCT batch_id) FROM ins
""")


async def missing_results(session: AsyncSession, on: date, by: str) -> tuple[int, int]:
    """A ``missing_result`` exception for every line without a result in a batch whose deadline is before ``on``
    (once per line: running it again adds only what is new)."""
    row = (await session.execute(_MISSING, {"on": on, "by": by})).one()
    return int(row[0]), int(row[1])


async def search(
    session: AsyncSession,
    *,
    areas: Sequence[str] | None,
    status: str | None,
    kind: str | None,
    batch_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[DisbursementException]:
    e = DisbursementException
    stmt = select(e)
    if areas is not None:
        stmt = stmt.where(in_areas(DisbursementException, areas))
    if status:
        stmt = stmt.where(e.status == status)
    if kind:
        stmt = stmt.where(e.kind == kind)
    if batch_id:
        stmt = stmt.where(e.batch_id == batch_id)
    if after is not None:
        stmt = stmt.where(tuple_(e.created_at, e.id) > tuple_(literal(after[0]), literal(after[1])))
    return (await session.scalars(stmt.order_by(e.created_at, e.id).limit(limit))).all()


async def get(
    session: AsyncSession, exception_id: uuid.UUID, *, for_update: bool = False
) -> DisbursementException | None:
    stmt = select(DisbursementException).where(DisbursementException.id == exception_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)
