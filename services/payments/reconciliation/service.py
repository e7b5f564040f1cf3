"""Use cases of reconciliation: the deadline sweep, exceptions for officers, their resolution. Never commits.

Exceptions are raised while results are recorded (``disbursement.service``) and by the sweep; an officer resolves
each with a note. Nothing is ever corrected here: the ledger and the results stay as reported.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.areas import visible_or_404
from common.auth import Principal
from common.daily import today_in_vietnam
from common.pagination import cursor_if_full, keyset

from ..models import Batch, DisbursementException
from . import repository
from .exceptions import ExceptionResolved
from .schemas import RunOut

DAILY_RUN_BY = "payments-daily"
"""``created_by`` of the exceptions the daily run raises (the route records the calling client)."""


async def raise_for_items(session: AsyncSession, batch: Batch, items: Sequence[dict[str, Any]], by: str) -> None:
    """Exceptions a postal report raises about lines of ``batch`` (``kind``, ``line_id``, ``expected``, ``reported``,
    ``detail`` each): an unknown line, a line reported twice differently."""
    await repository.add(session, batch, items, by)


async def raise_amount_mismatches(session: AsyncSession, line_ids: Sequence[uuid.UUID], by: str) -> None:
    """An ``amount_mismatch`` for each of the results just recorded that was paid another amount than its line."""
    await repository.amount_mismatches(session, line_ids, by)


async def sweep(session: AsyncSession, on: date, by: str = DAILY_RUN_BY) -> RunOut:
    """The deadline sweep for day ``on``: a ``missing_result`` exception per line without a result in a batch whose
    deadline is before ``on`` (once per line)."""
    found, batches = await repository.missing_results(session, on, by)
    return RunOut(on=on, missing_results=found, batches=batches)


async def run(session: AsyncSession, principal: Principal, on: date | None) -> RunOut:
    return await sweep(session, on or today_in_vietnam(), principal.client_id)


async def search(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    kind: str | None,
    batch_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[DisbursementException], str | None]:
    after = keyset(cursor, datetime.fromisoformat, uuid.UUID)
    rows = list(
        await repository.search(
            session, areas=principal.limited_to, status=status, kind=kind, batch_id=batch_id, after=after, limit=limit
        )
    )
    next_cursor = cursor_if_full(rows, limit, lambda e: [e.created_at.isoformat(), str(e.id)])
    return rows, next_cursor


async def resolve(
    session: AsyncSession, principal: Principal, exception_id: uuid.UUID, note: str
) -> DisbursementException:
    row = await repository.get(session, exception_id, for_update=True)
    row = visible_or_404(principal, row, f"exception {exception_id}")
    if row.status != "open":
        raise ExceptionResolved(f"the exception was resolved by {row.resolved_by}")
    row.status, row.resolution_note = "resolved", note
    row.resolved_by, row.resolved_at = principal.client_id, datetime.now(UTC)
    await session.flush()
    return row
