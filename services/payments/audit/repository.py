"""All SQL of the safety audit: read-only, one pass per table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession


async def placed_records(session: AsyncSession) -> Sequence[Row[Any]]:
    """One-off payments and artisan enrolments with the codes recorded, their amount, and the month it is judged in
    (the creation month of a one-off payment, the first month of an enrolment)."""
    return (
        await session.execute(
            text("""
        SELECT 'one_off_payments' AS "table", id, programme, commune_code, district_code, province_code, amount,
               created_at, CAST(date_trunc('month', created_at AT TIME ZONE 'Asia/Ho_Chi_Minh') AS date) AS month
        FROM payments.one_off_payments
        UNION ALL
        SELECT 'artisan_enrolments', id, 'artisans', commune_code, district_code, province_code, amount, created_at,
               from_month
        FROM payments.artisan_enrolments
        ORDER BY 1, 8, 2
    """)
        )
    ).all()


async def max_amounts(session: AsyncSession) -> Sequence[Row[Any]]:
    """Every ``max_amount`` recorded: ``(programme, valid_from, value)`` by programme and month."""
    return (
        await session.execute(
            text(
                "SELECT programme, valid_from, value FROM payments.programme_parameters WHERE name = 'max_amount' "
                "ORDER BY programme, valid_from"
            )
        )
    ).all()


async def wrong_paid_days(session: AsyncSession) -> Sequence[Row[Any]]:
    """Paid results whose ``paid_on`` is after the Viet Nam day they were reported or before the batch was issued."""
    return (
        await session.execute(
            text("""
        SELECT r.line_id, r.batch_id, r.paid_on,
               CAST(r.reported_at AT TIME ZONE 'Asia/Ho_Chi_Minh' AS date) AS reported_on,
               CAST(b.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh' AS date) AS issued_on
        FROM payments.line_results r JOIN payments.batches b ON b.id = r.batch_id
        WHERE r.paid_on IS NOT NULL
          AND (r.paid_on > CAST(r.reported_at AT TIME ZONE 'Asia/Ho_Chi_Minh' AS date)
               OR r.paid_on < CAST(b.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh' AS date))
        ORDER BY r.reported_at, r.line_id
    """)
        )
    ).all()
