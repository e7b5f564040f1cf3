"""Payments' outcome of a support item comes back into its case (called by the inbox handlers)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock

from ..cases import repository as cases
from ..changes import service as changes
from .schemas import LineResultIn

FINAL = {"paid", "returned"}


async def apply_outcome(session: AsyncSession, result: LineResultIn, outcome: str, on: date | None) -> bool:
    """Record ``outcome`` (``paid``, ``unpaid``, ``returned``) on the support item the line paid; False when the line
    is not one of ours or the item already has a final outcome (a later report never undoes a payment)."""
    item_id = result.support_item_id
    item = await cases.support_item(session, item_id) if item_id is not None else None
    if item is None or item.status in FINAL or item.status in ("proposed", "cancelled"):
        return False
    item.status = outcome
    item.outcome_on = on or clock.today()
    item.outcome_reason = result.reason
    item.payment_line_id = result.line_id
    item.updated_at = clock.now()
    case = await cases.get(session, item.case_id, for_update=True)
    assert case is not None
    case.version += 1
    case.updated_at = clock.now()
    case.updated_by = "payments"
    await session.flush()
    await changes.record(session, "case", case, case_id=case.id, child_id=case.child_id)
    return True
