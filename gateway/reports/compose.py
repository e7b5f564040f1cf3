"""The annual report's sections, composed from the services' own report endpoints.

Each service stays the owner of its figures: the gateway only asks them (with a token of the caller's client and
areas, valid one minute, scopes to read reports) and lays the answers out. A service that is not running or does
not offer a section yet gives a section marked not available, never invented figures.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from common import clock
from common.auth import AUDIENCE, ISSUER, Principal

Fetch = Callable[[str, str, dict[str, Any]], Awaitable[dict[str, Any] | None]]
"""(service, path, query) → the JSON answer, or None when the service cannot give it."""

READ_SCOPES = ("registry:read", "payments:read")
"""What the gateway's own token for the report may read; the caller's areas limit it as they limit the caller."""

PROGRAMME_ORDER = ("monthly_allowance", "electricity", "artisans", "funeral", "longevity", "emergency",
                   "service_request")


@dataclass
class Table:
    columns: list[str]
    """Column keys; labels come from :data:`LABELS`."""
    rows: list[list[Any]]
    title: str = ""


@dataclass
class Section:
    key: str
    available: bool
    figures: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    note: str = ""
    sources: list[str] = field(default_factory=list)

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {"key": self.key, "title": label(self.key, lang), "available": self.available, "note": self.note,
                "sources": self.sources, "figures": self.figures,
                "tables": [{"title": label(t.title, lang) if t.title else "",
                            "columns": [{"key": c, "label": label(c, lang)} for c in t.columns], "rows": t.rows}
                           for t in self.tables]}


LABELS: dict[str, tuple[str, str]] = {
    # sections
    "monthly_allowance": ("Trợ cấp xã hội hằng tháng", "Monthly social allowance"),
    "electricity": ("Hỗ trợ tiền điện", "Electricity support"),
    "artisans": ("Trợ cấp nghệ nhân", "Artisans' allowance"),
    "health_insurance": ("Thẻ bảo hiểm y tế", "Health insurance cards"),
    "longevity": ("Chúc thọ, mừng thọ người cao tuổi", "Longevity gifts"),
    "emergency": ("Cứu trợ đột xuất", "Emergency relief"),
    "residential": ("Cơ sở trợ giúp xã hội (nuôi dưỡng tập trung)", "Residential centres"),
    "children": ("Trẻ em có hoàn cảnh đặc biệt", "Children in special circumstances"),
    "postal": ("Chi trả qua bưu điện", "Payment through the post office"),
    # tables
    "by_category": ("Theo nhóm đối tượng", "By category"),
    "by_unit": ("Theo đơn vị hành chính", "By administrative unit"),
    "ledger": ("Sổ cái trong năm", "Ledger for the year"),
    "by_age": ("Theo độ tuổi", "By age"),
    "by_kind": ("Theo loại hỗ trợ", "By kind of relief"),
    "facilities": ("Theo cơ sở", "By facility"),
    "raised_for": ("Vận động cho từng đối tượng", "Raised for one resident"),
    "by_programme": ("Theo chương trình", "By programme"),
    # columns
    "category": ("Nhóm", "Category"), "count": ("Số người", "Persons"),
    "code": ("Mã", "Code"), "name": ("Tên", "Name"), "beneficiaries": ("Số đối tượng", "Beneficiaries"),
    "amount": ("Số tiền tháng (đồng)", "Monthly amount (VND)"), "suspended": ("Tạm dừng", "Suspended"),
    "programme": ("Chương trình", "Programme"), "regular": ("Thường xuyên", "Regular"),
    "arrears": ("Truy lĩnh", "Arrears"), "recovery": ("Thu hồi", "Recovery"), "issued": ("Đã cấp", "Issued"),
    "paid": ("Đã chi trả", "Paid"), "carried": ("Chuyển kỳ sau", "Carried"), "returned": ("Hoàn trả", "Returned"),
    "held": ("Tạm giữ", "Held"), "to_recover": ("Còn phải thu hồi", "To recover"),
    "age": ("Tuổi", "Age"), "gifts": ("Số quà", "Gifts"), "by_post": ("Qua bưu điện", "By post"),
    "in_kind": ("Hiện vật / trao tận tay", "In kind"), "cash_issued": ("Tiền đã cấp", "Cash issued"),
    "cash_paid": ("Tiền đã chi trả", "Cash paid"), "cash_in_kind": ("Tiền trao tận tay", "Cash handed over"),
    "in_kind_value": ("Giá trị hiện vật", "Value in kind"), "kind": ("Loại", "Kind"),
    "decided": ("Chờ phê duyệt", "Awaiting approval"), "approved": ("Đã phê duyệt", "Approved"),
    "amount_approved": ("Tiền đã phê duyệt", "Cash approved"), "rice_kg": ("Gạo (kg)", "Rice (kg)"),
    "residents": ("Số đối tượng", "Residents"), "donations": ("Lượt ủng hộ", "Donations"),
    "donors": ("Nhà hảo tâm", "Donors"), "cash": ("Tiền mặt", "Cash"), "total": ("Tổng", "Total"),
    "value": ("Giá trị (đồng)", "Value (VND)"), "full_name": ("Họ tên", "Name"),
    "elderly": ("Người cao tuổi", "Elderly"), "severe_mental_illness": ("Tâm thần", "Severe mental illness"),
    "orphan": ("Trẻ mồ côi", "Orphans"), "disability": ("Khuyết tật", "Disability"), "other": ("Khác", "Other"),
    "funeral": ("Mai táng", "Funeral"), "injury": ("Bị thương nặng", "Serious injury"),
    "house_destroyed": ("Nhà bị sập, đổ", "House destroyed"), "house_damaged": ("Nhà hư hỏng nặng", "House damaged"),
    "relocation": ("Di dời khẩn cấp", "Relocation"), "food": ("Lương thực", "Food"),
    "service_request": ("Hỗ trợ theo đề nghị", "Support requested"),
}


def label(key: str, lang: str) -> str:
    pair = LABELS.get(key)
    return key if pair is None else pair[1 if lang == "en" else 0]


def not_available(key: str, why: str, *sources: str) -> Section:
    return Section(key, False, note=why, sources=list(sources))


LEDGER_COLUMNS = ["regular", "arrears", "recovery", "issued", "paid", "carried", "held", "returned", "to_recover"]


def _ledger_section(key: str, ledger: dict[str, Any] | None) -> Section:
    source = f"payments GET /ledger/totals?by=programme (programme {key})"
    if ledger is None:
        return not_available(key, "payments did not answer", source)
    row = next((r for r in ledger["rows"] if r["key"] == key), None)
    amounts = {c: (row or {}).get(c, 0) for c in LEDGER_COLUMNS}
    return Section(key, True, figures=amounts, tables=[Table(LEDGER_COLUMNS, [[amounts[c] for c in LEDGER_COLUMNS]],
                                                             "ledger")], sources=[source])


def monthly_allowance(beneficiaries: dict[str, Any] | None, ledger: dict[str, Any] | None) -> Section:
    section = _ledger_section("monthly_allowance", ledger)
    source = "registry GET /reports/beneficiaries"
    if beneficiaries is None:
        return not_available("monthly_allowance", "the registry did not answer", source, *section.sources)
    categories: Counter[str] = Counter()
    for row in beneficiaries["rows"]:
        categories.update(row["categories"])
    total = beneficiaries["total"]
    section.figures = {"month": beneficiaries["month"], "beneficiaries": total["beneficiaries"],
                       "amount_month": total["amount"], "suspended": total["suspended"],
                       "categories": dict(sorted(categories.items())), "ledger": section.figures}
    section.tables = [
        Table(["category", "count"], [[c, n] for c, n in sorted(categories.items())], "by_category"),
        Table(["code", "name", "beneficiaries", "amount", "suspended"],
              [[r["code"], r["name"], r["beneficiaries"], r["amount"], r["suspended"]] for r in beneficiaries["rows"]]
              + [["", label("total", "vi"), total["beneficiaries"], total["amount"], total["suspended"]]],
              "by_unit"),
        *section.tables]
    section.sources = [f"{source}?month={beneficiaries['month']}", *section.sources]
    section.note = (f"Đối tượng có tiền chi trả tháng {beneficiaries['month']}; số tiền trong năm theo sổ cái. "
                    "Chỉ phần được cấp thuộc năm báo cáo (kỳ chi trả trong năm).")
    return section


def longevity(report: dict[str, Any] | None) -> Section:
    source = "payments GET /reports/longevity"
    if report is None:
        return not_available("longevity", "payments did not answer", source)
    columns = ["age", "gifts", "by_post", "in_kind", "cash_issued", "cash_paid", "cash_in_kind", "in_kind_value"]
    rows = [[a[c] for c in columns] for a in report["ages"]]
    return Section("longevity", True, figures={"ages": report["ages"]}, tables=[Table(columns, rows, "by_age")],
                   sources=[source])


def emergency(report: dict[str, Any] | None) -> Section:
    source = "payments GET /reports/emergency"
    if report is None:
        return not_available("emergency", "payments did not answer", source)
    columns = ["kind", "decided", "approved", "amount_approved", "cash_issued", "cash_paid", "rice_kg"]
    rows = [[k[c] for c in columns] for k in report["kinds"]]
    return Section("emergency", True, figures={"kinds": report["kinds"]}, tables=[Table(columns, rows, "by_kind")],
                   sources=[source])


def residential(report: dict[str, Any] | None) -> Section:
    source = "registry GET /reports/facilities"
    if report is None:
        return not_available("residential", "the registry did not answer", source)
    groups = ["elderly", "severe_mental_illness", "orphan", "disability", "other"]
    columns = ["name", "residents", *groups, "donations", "donors", "cash", "in_kind_value", "total"]
    rows = [[f["name"], f["residents"], *(f["residents_by_category"].get(g, 0) for g in groups), f["donations"],
             f["donors"], f["cash"], f["in_kind"], f["total"]] for f in report["facilities"]]
    raised = [[f["name"], r["full_name"], r["value"]] for f in report["facilities"] for r in f["raised_for"]]
    return Section("residential", True, figures={"as_of": report["as_of"], "facilities": report["facilities"]},
                   tables=[Table(columns, rows, "facilities"), Table(["name", "full_name", "value"], raised,
                                                                     "raised_for")],
                   sources=[source])


def postal(ledger: dict[str, Any] | None) -> Section:
    source = "payments GET /ledger/totals?by=programme"
    if ledger is None:
        return not_available("postal", "payments did not answer", source)
    columns = ["programme", "issued", "paid", "carried", "held", "returned"]
    ordered = sorted(ledger["rows"], key=lambda r: (PROGRAMME_ORDER.index(r["key"])
                                                    if r["key"] in PROGRAMME_ORDER else 99, r["key"]))
    rows = [[r["key"], *(r[c] for c in columns[1:])] for r in ordered]
    total = ledger["total"]
    rows.append(["total", *(total[c] for c in columns[1:])])
    return Section("postal", True, figures={c: total[c] for c in columns[1:]},
                   tables=[Table(columns, rows, "by_programme")], sources=[source])


async def annual(fetch: Fetch, year: int, units: str) -> list[Section]:
    """Every section of ``year``: the services are asked at once."""
    month = f"{year}-12" if year < clock.today().year else clock.today().strftime("%Y-%m")
    by = {"by": "commune", "units": "2025"} if units == "2025" else {"by": "district", "units": "recorded"}
    beneficiaries, ledger, gifts, relief, facilities = await asyncio.gather(
        fetch("registry", "/reports/beneficiaries", {"month": month, **by}),
        fetch("payments", "/ledger/totals", {"year": year, "by": "programme"}),
        fetch("payments", "/reports/longevity", {"year": year}),
        fetch("payments", "/reports/emergency", {"year": year}),
        fetch("registry", "/reports/facilities", {"year": year}),
    )
    return [
        monthly_allowance(beneficiaries, ledger),
        _ledger_section("electricity", ledger),
        _ledger_section("artisans", ledger),
        not_available("health_insurance", "Dịch vụ bảo hiểm y tế chưa cung cấp báo cáo năm (not available yet)"),
        longevity(gifts),
        emergency(relief),
        residential(facilities),
        not_available("children", "Dịch vụ bảo vệ trẻ em chưa cung cấp báo cáo năm (not available yet)"),
        postal(ledger),
    ]


def internal_claims(principal: Principal) -> dict[str, Any]:
    """The gateway's token for asking the services on the caller's behalf: same client and areas, read scopes,
    one minute."""
    now = round(time.time(), 3)
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": principal.client_id, "client_id": principal.client_id,
            # The caller's revocation id: revoking the client (or rotating its secret) revokes this token too.
            "rid": principal.revocation_id,
            "scope": " ".join(READ_SCOPES), "iat": now, "nbf": int(now),
            # An admin's areas do not limit it: its report covers everything, as its own reads do.
            "areas": [] if principal.limited_to is None else list(principal.areas),
            "exp": int(now) + 60, "jti": uuid.uuid4().hex}


def today() -> date:
    return clock.today()
