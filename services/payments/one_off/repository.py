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


async def rekey_pending(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID) -> None:
    """One-off payments of ``merged`` no payroll has issued yet now name ``survivor`` (issued ones stay as paid)."""
    await session.execute(
        text(
            "UPDATE payments.one_off_payments SET person_id = :survivor "
            "WHERE person_id = :merged AND payroll_id IS NULL"
        ),
        {"merged": merged, "survivor": survivor},
    )


async def discard_pending(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    """Drop one-off payments no payroll has issued (a duplicate found by a merge): never paid, nothing to keep."""
    if ids:
        await session.execute(
            text("DELETE FROM payments.one_off_payments WHERE id = ANY(CAST(:ids AS uuid[])) AND payroll_id IS NULL"),
            {"ids": ids},
        )
