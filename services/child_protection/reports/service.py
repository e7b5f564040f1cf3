"""Reports: counts only, never a name or a narrative; for any client within its areas."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.auth import Principal
from common.clock import VIETNAM_TZ
from common.territory import territory

from ..deadlines import repository as deadlines
from . import repository

REPORTS: dict[str, list[tuple[str, str]]] = {
    "children": [
        ("district_code", "Mã huyện (cũ)"),
        ("commune_code", "Mã xã"),
        ("commune_name", "Tên xã"),
        ("group", "Nhóm hoàn cảnh đặc biệt"),
        ("children", "Số trẻ em"),
    ],
    "support": [
        ("district_code", "Mã huyện (cũ)"),
        ("commune_code", "Mã xã"),
        ("commune_name", "Tên xã"),
        ("children", "Số trẻ em có hoàn cảnh đặc biệt"),
        ("supported", "Số trẻ được hỗ trợ"),
        ("share_percent", "Tỷ lệ (%)"),
    ],
    "placements": [
        ("district_code", "Mã huyện (cũ)"),
        ("commune_code", "Mã xã"),
        ("kind", "Hình thức chăm sóc"),
        ("placements", "Số trẻ"),
    ],
    "given": [
        ("kind", "Loại hỗ trợ"),
        ("funding", "Nguồn"),
        ("approved", "Số khoản được duyệt"),
        ("children", "Số trẻ được hỗ trợ"),
        ("amount_approved", "Số tiền được duyệt (đồng)"),
        ("paid", "Số khoản đã chi trả"),
        ("amount_paid", "Số tiền đã chi trả (đồng)"),
        ("unpaid", "Số khoản chưa chi trả được / hoàn trả"),
    ],
    "deadlines": [
        ("step", "Bước"),
        ("on_time", "Đúng hạn"),
        ("late", "Trễ hạn"),
        ("overdue", "Quá hạn chưa làm"),
        ("open", "Chưa đến hạn"),
    ],
}


def areas_of(principal: Principal) -> tuple[str, ...] | None:
    """The token's areas and their territory (``admin`` does not widen them: counts stay within the areas)."""
    return territory(principal.areas) if principal.areas else None


async def build(
    session: AsyncSession, principal: Principal, name: str, on: date | None, since: date | None, until: date | None
) -> dict[str, Any]:
    day = on or clock.today()
    areas = areas_of(principal)
    rows: list[dict[str, Any]]
    if name == "children":
        rows = [
            {
                "district_code": r.district_code,
                "commune_code": r.commune_code,
                "commune_name": r.commune_name,
                "group": r.group_code,
                "children": r.children,
            }
            for r in await repository.children_by_group(session, day, areas)
        ]
    elif name == "support":
        rows = [
            {
                "district_code": r.district_code,
                "commune_code": r.commune_code,
                "commune_name": r.commune_name,
                "children": r.children,
                "supported": r.supported,
                "share_percent": round(100 * r.supported / r.children, 1) if r.children else 0.0,
            }
            for r in await repository.support_share(session, day, areas)
        ]
    elif name == "placements":
        rows = [
            {
                "district_code": r.district_code,
                "commune_code": r.commune_code,
                "kind": r.kind,
                "placements": r.placements,
            }
            for r in await repository.placements_by_kind(session, day, areas)
        ]
    elif name == "given":
        first, last = since or day.replace(month=1, day=1), until or day
        rows = [
            {
                "kind": r.kind,
                "funding": r.funding,
                "approved": r.approved,
                "children": r.children,
                "amount_approved": int(r.amount_approved),
                "paid": r.paid,
                "amount_paid": int(r.amount_paid),
                "unpaid": r.unpaid,
            }
            for r in await repository.support_given(session, first, last, areas)
        ]
        return {"report": name, "rows": rows, "since": first, "until": last}
    else:
        start = datetime.combine(since, datetime.min.time(), tzinfo=VIETNAM_TZ) if since else None
        end = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=VIETNAM_TZ) if until else None
        rows = [
            {"step": r.step, "on_time": r.on_time, "late": r.late, "overdue": r.overdue, "open": r.open}
            for r in await deadlines.compliance(session, clock.now(), areas, start, end)
        ]
    out: dict[str, Any] = {"report": name, "rows": rows}
    if name == "deadlines":
        out.update(since=since, until=until)
    else:
        out["on"] = day
    return out


def table(name: str, report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    columns = REPORTS[name]
    return [h for _, h in columns], [[row.get(k) for k, _ in columns] for row in report["rows"]]
