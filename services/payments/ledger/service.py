"""Ledger totals: what was issued (and later paid, carried, returned, recovered) by programme, period or unit."""

from __future__ import annotations

import io

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


async def totals(session: AsyncSession, principal: Principal, *, year: int, by: str,
                 programme: str | None, since: int | None = None) -> LedgerTotals:
    rows: dict[str, TotalsRow] = {}
    total = Amounts()
    for key, kind, amount, entries in await repository.totals(
            session, year=year, by=by, programme=programme, areas=principal.limited_to, since=since):
        row = rows.setdefault(key, TotalsRow(key=key))
        _add(row, kind, int(amount), int(entries))
        _add(total, kind, int(amount), int(entries))
    return LedgerTotals(year=year, since=since, by=by, programme=programme, rows=list(rows.values()), total=total)  # type: ignore[arg-type]


HEADERS = {"programme": "Chương trình", "period": "Kỳ chi trả", "district": "Mã huyện", "commune": "Mã xã"}
AMOUNT_HEADERS = ["Chi thường xuyên", "Truy lĩnh", "Thu hồi", "Còn phải thu hồi", "Bù trừ khoản phải thu hồi",
                  "Tổng cấp phát", "Đã chi trả", "Chuyển kỳ sau", "Tạm giữ", "Hoàn trả", "Đã thu hồi"]
FIELDS = ["regular", "arrears", "recovery", "to_recover", "to_recover_offset", "issued", "paid", "carried", "held",
          "returned", "recovered"]


def as_csv(report: LedgerTotals) -> str:
    """Vietnamese headers, UTF-8 with BOM (spreadsheet programs read it), a total row last."""
    buffer = io.StringIO()
    writer = tabular.csv_writer(buffer)
    writer.writerow([HEADERS[report.by], *AMOUNT_HEADERS])
    for r in report.rows:
        writer.writerow([r.key, *(getattr(r, f) for f in FIELDS)])
    writer.writerow(["Tổng cộng", *(getattr(report.total, f) for f in FIELDS)])
    return "\ufeff" + buffer.getvalue()
