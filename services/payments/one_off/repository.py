"""All SQL of one-off payments (the one feature that writes them: emergency relief and longevity gifts create theirs
through the service)."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import OneOffPayment


async def add(session: AsyncSession, payment: OneOffPayment) -> None:
    session.add(payment)
    await session.flush()


_ISSUED = text("""
    UPDATE payments.one_off_payments o SET payroll_id = l.payroll_id
    FROM payments.payroll_lines l WHERE l.payroll_id = :id AND l.one_off_payment_id = o.id
""")


async def mark_issued(session: AsyncSession, payroll_id: uuid.UUID) -> None:
    await session.execute(_ISSUED, {"id": payroll_id})
