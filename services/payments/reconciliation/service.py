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

from common.auth import Principal
from common.daily import today_in_vietnam
from common.errors import Conflict, NotFound
from common.pagination import encode_cursor, keyset

from ..models import Batch, DisbursementException
from . import repository
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


async def search(session: AsyncSession, principal: Principal, *, status: str | None, kind: str | None,
                 batch_id: uuid.UUID | None, cursor: str | None,
                 limit: int) -> tuple[list[DisbursementException], str | None]:
    after = keyset(cursor, datetime.fromisoformat, uuid.UUID)
    rows = list(await repository.search(session, areas=principal.limited_to, status=status, kind=kind,
                                        batch_id=batch_id, after=after, limit=limit))
    next_cursor = (encode_cursor([rows[-1].created_at.isoformat(), str(rows[-1].id)]) if len(rows) == limit
                   else None)
    return rows, next_cursor


async def resolve(session: AsyncSession, principal: Principal, exception_id: uuid.UUID,
                  note: str) -> DisbursementException:
    row = await repository.get(session, exception_id, for_update=True)
    if row is None or not principal.may_see_area(row.commune_code, row.district_code, row.province_code):
        raise NotFound(f"no exception {exception_id}")
    if row.status != "open":
        raise Conflict(f"the exception was resolved by {row.resolved_by}", code="exception-resolved")
    row.status, row.resolution_note = "resolved", note
    row.resolved_by, row.resolved_at = principal.client_id, datetime.now(UTC)
    await session.flush()
    return row
