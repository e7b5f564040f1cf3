"""All SQL of the ledger's reports (the ledger is written by payroll approval, set-based)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import LedgerEntry

KEYS = {"programme": LedgerEntry.programme, "period": LedgerEntry.period, "district": LedgerEntry.district_code,
        "commune": LedgerEntry.commune_code}


async def totals(session: AsyncSession, *, year: int, by: str, programme: str | None,
                 areas: Sequence[str] | None, since: int | None = None) -> Sequence[Any]:
    """(key, kind, amount, entries) for the payroll periods starting in ``year`` (from January of ``since`` to
    December of ``year`` when given)."""
    key = KEYS[by]
    stmt = (select(key.label("key"), LedgerEntry.kind, func.sum(LedgerEntry.amount).label("amount"),
                   func.count().label("entries"))
            .where(LedgerEntry.period_first >= date(since or year, 1, 1),
                   LedgerEntry.period_first < date(year + 1, 1, 1))
            .group_by(key, LedgerEntry.kind).order_by(key, LedgerEntry.kind))
    if programme:
        stmt = stmt.where(LedgerEntry.programme == programme)
    if areas is not None:
        stmt = stmt.where(in_areas(LedgerEntry, areas))
    return (await session.execute(stmt)).all()
