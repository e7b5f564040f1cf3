"""The ledger: its entries, written only here (payroll approval and postal disbursement call these use cases), and its
totals: what was issued (and later paid, carried, returned, recovered) by programme, period or unit."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from common import tabular
from common.auth import Principal

from . import repository
from .schemas import Amounts, LedgerTotals, TotalsRow

ISSUED = ("regular", "arrears", "recovery", "to_recover", "to_recover_offset")
KINDS = (*ISSUED, "paid", "carried", "held", "returned", "recovered")


def _add(target: Amounts, kind: str, amount: int, entries: int) -> None:
    if kind in KINDS:
        setattr(target, kind, getattr(target, kind) + amount)
    if kind in ISSUED:
        target.issued += amount
    target.entries += entries


# --- writes (set-based; the callers hold the payroll's or the batch's lock) -----------------------------------------


async def issue(session: AsyncSession, payroll_id: uuid.UUID) -> None:
    """Payroll approval: every line's amounts per service month, to_recover and the offsets against open balances."""
    await repository.issue(session, payroll_id)


async def carried_in(session: AsyncSession, payroll_id: uuid.UUID) -> None:
    """Payroll approval: −carried on each line that takes in an earlier unpaid amount."""
    await repository.carried_in(session, payroll_id)


async def results(session: AsyncSession, line_ids: Sequence[uuid.UUID]) -> None:
    """Postal results just recorded: paid (and recovered), carried (unpaid) or returned, one entry per line and kind."""
    await repository.results(session, line_ids)


async def move_held(
    session: AsyncSession, payroll_id: uuid.UUID, lines: Sequence[Row[Any]], out: str, into: str
) -> None:
    """Held amounts (docs/rules.md §2): each line's total moves ``out`` → ``into`` (carried → held when held, held →
    returned when returned to the budget), a pair of entries on the unpaid line, booked on ``payroll_id``."""
    await repository.move(session, payroll_id, lines, out, into)


async def release_held(session: AsyncSession, payroll_id: uuid.UUID) -> None:
    """held → carried for the held amounts the payroll's lines carry after reinstatement."""
    await repository.release_held(session, payroll_id)


async def totals(
    session: AsyncSession, principal: Principal, *, year: int, by: str, programme: str | None, since: int | None = None
) -> LedgerTotals:
    rows: dict[str, TotalsRow] = {}
    total = Amounts()
    for key, kind, amount, entries in await repository.totals(
        session, year=year, by=by, programme=programme, areas=principal.limited_to, since=since
    ):
        row = rows.setdefault(key, TotalsRow(key=key))
        _add(row, kind, int(amount), int(entries))
        _add(total, kind, int(amount), int(entries))
    return LedgerTotals(year=year, since=since, by=by, programme=programme, rows=list(rows.values()), total=total)  # type: ignore[arg-type]


HEADERS = {"programme": "Chương trình", "period": "Kỳ chi trả", "district": "Mã huyện", "commune": "Mã xã"}
AMOUNT_HEADERS = [
    "Chi thường xuyên",
    "Truy lĩnh",
    "Thu hồi",
    "Còn phải thu hồi",
    "Bù trừ khoản phải thu hồi",
    "Tổng cấp phát",
    "Đã chi trả",
    "Chuyển kỳ sau",
    "Tạm giữ",
    "Hoàn trả",
    "Đã thu hồi",
]
FIELDS = [
    "regular",
    "arrears",
    "recovery",
    "to_recover",
    "to_recover_offset",
    "issued",
    "paid",
    "carried",
    "held",
    "returned",
    "recovered",
]


def as_csv(report: LedgerTotals) -> str:
    """Vietnamese headers, UTF-8 with BOM (spreadsheet programs read it), a total row last."""
    buffer = io.StringIO()
    writer = tabular.csv_writer(buffer)
    writer.writerow([HEADERS[report.by], *AMOUNT_HEADERS])
    for r in report.rows:
        writer.writerow([r.key, *(getattr(r, f) for f in FIELDS)])
    writer.writerow(["Tổng cộng", *(getattr(report.total, f) for f in FIELDS)])
    return "\ufeff" + buffer.getvalue()
