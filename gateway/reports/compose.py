"""The annual report's sections, composed from the services' own report endpoints.

Each service stays the owner of its figures: the gateway only asks them (with a token of the caller's client and
areas, valid one minute, scopes to read reports) and lays the answers out. A service that is not running or does
not offer a section yet gives a section marked not available, never invented figures.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from common import clock
from common.auth import AUDIENCE, ISSUER, Principal
from common.territory import unit_map

Fetch = Callable[[str, str, dict[str, Any]], Awaitable[dict[str, Any] | None]]
"""(service, path, query) → the JSON answer, or None when the service cannot give it."""

READ_SCOPES = ("registry:read", "payments:read", "insurance:read", "reports:read")
"""What the gateway's own token for the report may read; the caller's areas limit it as they limit the caller.
``reports:read`` opens child protection's counts (never its records: that would take ``child_protection:read``)."""

PROGRAMME_ORDER = (
    "monthly_allowance",
    "electricity",
    "artisans",
    "funeral",
    "longevity",
    "emergency",
    "service_request",
)


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
    note_en: str = ""
    """The note in English (``?lang=en``); empty: ``note`` in both languages."""

    def note_in(self, lang: str) -> str:
        return self.note_en if lang == "en" and self.note_en else self.note

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": label(self.key, lang),
            "available": self.available,
            "note": self.note_in(lang),
            "sources": self.sources,
            "figures": self.figures,
            "tables": [
                {
                    "title": label(t.title, lang) if t.title else "",
                    "columns": [{"key": c, "label": label(c, lang)} for c in t.columns],
                    "rows": t.rows,
                }
                for t in self.tables
            ],
        }


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
    "category": ("Nhóm", "Category"),
    "count": ("Số người", "Persons"),
    "code": ("Mã", "Code"),
    "name": ("Tên", "Name"),
    "beneficiaries": ("Số đối tượng", "Beneficiaries"),
    "amount": ("Số tiền tháng (đồng)", "Monthly amount (VND)"),
    "suspended": ("Tạm dừng", "Suspended"),
    "programme": ("Chương trình", "Programme"),
    "regular": ("Thường xuyên", "Regular"),
    "arrears": ("Truy lĩnh", "Arrears"),
    "recovery": ("Thu hồi", "Recovery"),
    "issued": ("Đã cấp", "Issued"),
    "paid": ("Đã chi trả", "Paid"),
    "carried": ("Chuyển kỳ sau", "Carried"),
    "returned": ("Hoàn trả", "Returned"),
    "held": ("Tạm giữ", "Held"),
    "to_recover": ("Còn phải thu hồi", "To recover"),
    "age": ("Tuổi", "Age"),
    "gifts": ("Số quà", "Gifts"),
    "by_post": ("Qua bưu điện", "By post"),
    "in_kind": ("Hiện vật / trao tận tay", "In kind"),
    "cash_issued": ("Tiền đã cấp", "Cash issued"),
    "cash_paid": ("Tiền đã chi trả", "Cash paid"),
    "cash_in_kind": ("Tiền trao tận tay", "Cash handed over"),
    "in_kind_value": ("Giá trị hiện vật", "Value in kind"),
    "kind": ("Loại", "Kind"),
    "decided": ("Chờ phê duyệt", "Awaiting approval"),
    "approved": ("Đã phê duyệt", "Approved"),
    "amount_approved": ("Tiền đã phê duyệt", "Cash approved"),
    "rice_kg": ("Gạo (kg)", "Rice (kg)"),
    "residents": ("Số đối tượng", "Residents"),
    "donations": ("Lượt ủng hộ", "Donations"),
    "donors": ("Nhà hảo tâm", "Donors"),
    "cash": ("Tiền mặt", "Cash"),
    "total": ("Tổng", "Total"),
    "value": ("Giá trị (đồng)", "Value (VND)"),
    "full_name": ("Họ tên", "Name"),
    "elderly": ("Người cao tuổi", "Elderly"),
    "severe_mental_illness": ("Tâm thần", "Severe mental illness"),
    "orphan": ("Trẻ mồ côi", "Orphans"),
    "disability": ("Khuyết tật", "Disability"),
    "other": ("Khác", "Other"),
    "funeral": ("Mai táng", "Funeral"),
    "injury": ("Bị thương nặng", "Serious injury"),
    "house_destroyed": ("Nhà bị sập, đổ", "House destroyed"),
    "house_damaged": ("Nhà hư hỏng nặng", "House damaged"),
    "relocation": ("Di dời khẩn cấp", "Relocation"),
    "food": ("Lương thực", "Food"),
    "service_request": ("Hỗ trợ theo đề nghị", "Support requested"),
    # monthly allowance: the year and the cumulative figure (docs/rules.md §2, "Cumulative")
    "ledger_cumulative": ("Sổ cái: trong năm và lũy kế", "Ledger: the year and cumulative"),
    "span": ("Kỳ", "Span"),
    "in_year": ("Trong năm", "In the year"),
    "cumulative": ("Lũy kế từ khi có số liệu đến hết năm", "Cumulative since records began, to the year's end"),
    # health insurance
    "group": ("Nhóm", "Group"),
    "cards_in_force": ("Thẻ còn hạn cuối năm", "Cards in force at year end"),
    "cards_valid": ("Thẻ có hiệu lực trong năm", "Cards valid in the year"),
    "card_months": ("Số thẻ-tháng", "Card-months"),
    "cost": ("Tổng kinh phí (đồng)", "Cost (VND)"),
    "state": ("Ngân sách nhà nước (đồng)", "State budget (VND)"),
    "household": ("Hộ gia đình đóng (đồng)", "Households (VND)"),
    "note": ("Ghi chú", "Note"),
    "TE": ("Trẻ em dưới 6 tuổi", "Children under 6"),
    "BT": ("Người hưởng trợ cấp xã hội hằng tháng", "Monthly allowance beneficiaries"),
    "HN": ("Người thuộc hộ nghèo", "Poor households"),
    "CN": ("Người thuộc hộ cận nghèo", "Near-poor households"),
    "GB": ("Hộ nông, lâm, ngư, diêm nghiệp có mức sống trung bình", "Farming households of average living standard"),
    "HS": ("Học sinh", "Pupils"),
    "SV": ("Sinh viên", "Students"),
    # children
    "by_group": ("Theo nhóm hoàn cảnh đặc biệt", "By circumstance group"),
    "by_card_group": ("Theo nhóm đối tượng tham gia", "By card group"),
    "no_district": ("Không ghi huyện (đơn vị sau 01/7/2025)", "No district recorded (2025 unit)"),
    "support_given": ("Hỗ trợ bằng tiền trong năm", "Money support given in the year"),
    "children_count": ("Số trẻ em", "Children"),
    "supported": ("Có kế hoạch hỗ trợ đang thực hiện", "With an approved plan in an open case"),
    "funding": ("Nguồn", "Funding"),
    "items_approved": ("Khoản được duyệt", "Items approved"),
    "children_supported": ("Số trẻ được hỗ trợ", "Children supported"),
    "items_paid": ("Khoản đã chi trả", "Items paid"),
    "amount_paid": ("Tiền đã chi trả", "Amount paid"),
    "items_unpaid": ("Chưa chi trả được / hoàn trả", "Unpaid / returned"),
    "provincial": ("Ngân sách tỉnh", "Provincial budget"),
    "charity": ("Từ thiện", "Charity"),
    "scholarship": ("Học bổng", "Scholarship"),
    "gift": ("Quà", "Gift"),
    "surgery": ("Phẫu thuật", "Surgery"),
    "abandoned": ("Bị bỏ rơi", "Abandoned"),
    "no_one_to_rely_on": ("Không nơi nương tựa", "Nobody to rely on"),
    "disabled": ("Khuyết tật", "Disabled"),
    "hiv": ("Nhiễm HIV/AIDS", "Living with HIV/AIDS"),
    "in_conflict_with_law": ("Vi phạm pháp luật", "In conflict with the law"),
    "drug_addicted": ("Nghiện ma túy", "Drug-addicted"),
    "dropped_out_to_work": ("Bỏ học kiếm sống", "Out of school to earn a living"),
    "harmed_by_violence": ("Bị tổn hại nghiêm trọng do bạo lực", "Seriously harmed by violence"),
    "exploited": ("Bị bóc lột", "Exploited"),
    "sexually_abused": ("Bị xâm hại tình dục", "Sexually abused"),
    "trafficked": ("Bị mua bán", "Trafficked"),
    "serious_illness_poor": ("Mắc bệnh hiểm nghèo, hộ nghèo/cận nghèo", "Serious illness, poor household"),
    "migrant_refugee": ("Di cư, lánh nạn chưa xác định cha mẹ", "Migrant or refugee without known parents"),
}


# Notes that reach the report in English (the insurance report's unit notes, the children table's split communes)
# and their Vietnamese wording: the Vietnamese rendering is Vietnamese throughout; ``?lang=en`` keeps them as they are.
_NOTES_VI = [
    (re.compile(r"2025 commune across old districts (.+)"), "Xã, phường từ 01/7/2025 gồm địa bàn các huyện cũ {0}"),
    (
        re.compile(r"no district recorded and none in the 2025 mapping"),
        "Không ghi huyện và không có trong bảng chuyển đổi đơn vị năm 2025",
    ),
    (re.compile(r"split into (.+): counted under its recorded code"), "Đã tách thành {0}: tính theo mã đã ghi"),
]

# Who did not answer, in Vietnamese (a section the report could not fill says so).
_SERVICES_VI = {
    "payments": "Hệ thống chi trả",
    "the registry": "Hệ thống quản lý đối tượng",
    "insurance": "Hệ thống bảo hiểm y tế",
    "child protection": "Hệ thống bảo vệ trẻ em",
}


def _note_vi(text: str) -> str | None:
    for pattern, wording in _NOTES_VI:
        if found := pattern.fullmatch(text):
            return wording.format(*found.groups())
    return None


def label(key: str, lang: str) -> str:
    pair = LABELS.get(key)
    if pair is not None:
        return pair[1 if lang == "en" else 0]
    if lang != "en" and (vi := _note_vi(key)) is not None:
        return vi
    return key


def silent(who: str) -> tuple[str, str]:
    """(Vietnamese, English) for ``who`` (a key of :data:`_SERVICES_VI`) not answering."""
    return f"{_SERVICES_VI[who]} không trả lời", f"{who} did not answer"


def not_available(key: str, who: str, *sources: str) -> Section:
    """A section the report could not fill because ``who`` did not answer."""
    vi, en = silent(who)
    return Section(key, False, note=vi, note_en=en, sources=list(sources))


LEDGER_COLUMNS = ["regular", "arrears", "recovery", "issued", "paid", "carried", "held", "returned", "to_recover"]


def _ledger_section(key: str, ledger: dict[str, Any] | None) -> Section:
    source = f"payments GET /ledger/totals?by=programme (programme {key})"
    if ledger is None:
        return not_available(key, "payments", source)
    row = next((r for r in ledger["rows"] if r["key"] == key), None)
    amounts = {c: (row or {}).get(c, 0) for c in LEDGER_COLUMNS}
    return Section(
        key,
        True,
        figures=amounts,
        tables=[Table(LEDGER_COLUMNS, [[amounts[c] for c in LEDGER_COLUMNS]], "ledger")],
        sources=[source],
    )


def monthly_allowance(
    beneficiaries: dict[str, Any] | None, ledger: dict[str, Any] | None, cumulative: dict[str, Any] | None = None
) -> Section:
    section = _ledger_section("monthly_allowance", ledger)
    source = "registry GET /reports/beneficiaries"
    cumulative_source = "payments GET /ledger/totals?since=2000&programme=monthly_allowance"
    if beneficiaries is None:
        return not_available("monthly_allowance", "the registry", source, *section.sources)
    if section.available and cumulative is not None:
        row = next((r for r in cumulative["rows"] if r["key"] == "monthly_allowance"), None)
        summed = {c: (row or {}).get(c, 0) for c in LEDGER_COLUMNS}
        section.tables = [
            Table(
                ["span", *LEDGER_COLUMNS],
                [
                    ["in_year", *(section.figures[c] for c in LEDGER_COLUMNS)],
                    ["cumulative", *(summed[c] for c in LEDGER_COLUMNS)],
                ],
                "ledger_cumulative",
            )
        ]
        section.sources.append(cumulative_source)
    else:
        summed = None
    categories: Counter[str] = Counter()
    for row in beneficiaries["rows"]:
        categories.update(row["categories"])
    total = beneficiaries["total"]
    section.figures = {
        "month": beneficiaries["month"],
        "beneficiaries": total["beneficiaries"],
        "amount_month": total["amount"],
        "suspended": total["suspended"],
        "categories": dict(sorted(categories.items())),
        "ledger": section.figures,
        "cumulative": summed,
    }
    section.tables = [
        Table(["category", "count"], [[c, n] for c, n in sorted(categories.items())], "by_category"),
        Table(
            ["code", "name", "beneficiaries", "amount", "suspended"],
            [[r["code"], r["name"], r["beneficiaries"], r["amount"], r["suspended"]] for r in beneficiaries["rows"]]
            + [["", "total", total["beneficiaries"], total["amount"], total["suspended"]]],
            "by_unit",
        ),
        *section.tables,
    ]
    section.sources = [f"{source}?month={beneficiaries['month']}", *section.sources]
    section.note = (
        f"Đối tượng có tiền chi trả tháng {beneficiaries['month']}; số tiền trong năm theo sổ cái "
        "(các kỳ chi trả trong năm). Lũy kế: mọi kỳ chi trả từ khi có số liệu trên hệ thống đến hết "
        "tháng 12 của năm báo cáo." + ("" if summed is not None else f" Lũy kế: {silent('payments')[0]}.")
    )
    section.note_en = (
        f"Beneficiaries with an amount payable in {beneficiaries['month']}; the year's amounts from the "
        "ledger (payroll periods of the year). Cumulative: every payroll period since records began "
        "in the system, to December of the year reported."
        + ("" if summed is not None else " Cumulative: payments did not answer.")
    )
    return section


def longevity(report: dict[str, Any] | None) -> Section:
    source = "payments GET /reports/longevity"
    if report is None:
        return not_available("longevity", "payments", source)
    columns = ["age", "gifts", "by_post", "in_kind", "cash_issued", "cash_paid", "cash_in_kind", "in_kind_value"]
    rows = [[a[c] for c in columns] for a in report["ages"]]
    return Section(
        "longevity", True, figures={"ages": report["ages"]}, tables=[Table(columns, rows, "by_age")], sources=[source]
    )


def emergency(report: dict[str, Any] | None) -> Section:
    source = "payments GET /reports/emergency"
    if report is None:
        return not_available("emergency", "payments", source)
    columns = ["kind", "decided", "approved", "amount_approved", "cash_issued", "cash_paid", "rice_kg"]
    rows = [[k[c] for c in columns] for k in report["kinds"]]
    return Section(
        "emergency",
        True,
        figures={"kinds": report["kinds"]},
        tables=[Table(columns, rows, "by_kind")],
        sources=[source],
    )


def residential(report: dict[str, Any] | None) -> Section:
    source = "registry GET /reports/facilities"
    if report is None:
        return not_available("residential", "the registry", source)
    groups = ["elderly", "severe_mental_illness", "orphan", "disability", "other"]
    columns = ["name", "residents", *groups, "donations", "donors", "cash", "in_kind_value", "total"]
    rows = [
        [
            f["name"],
            f["residents"],
            *(f["residents_by_category"].get(g, 0) for g in groups),
            f["donations"],
            f["donors"],
            f["cash"],
            f["in_kind"],
            f["total"],
        ]
        for f in report["facilities"]
    ]
    raised = [[f["name"], r["full_name"], r["value"]] for f in report["facilities"] for r in f["raised_for"]]
    return Section(
        "residential",
        True,
        figures={"as_of": report["as_of"], "facilities": report["facilities"]},
        tables=[Table(columns, rows, "facilities"), Table(["name", "full_name", "value"], raised, "raised_for")],
        sources=[source],
    )


def _unit_of(units: str, district: str, commune: str) -> tuple[str, str, str]:
    """(code, name, note) of a row recorded with ``district``/``commune`` (child protection's rows): ``recorded``, its
    old district; ``2025``, the 2025 commune (a code in force today is its own commune: every reused code lies in
    the commune that reuses it; an old code counts under the one commune it became)."""
    umap = unit_map()
    if units != "2025":
        if district:
            return district, umap.name(district), ""
        return commune, umap.name(commune), "no_district"
    if umap.in_force(commune) or commune not in umap.new_of:
        return commune, umap.name(commune), ""
    news = sorted(umap.new_of[commune])
    if len(news) == 1:
        return news[0], umap.name(news[0]), ""
    return commune, umap.name(commune), f"split into {', '.join(news)}: counted under its recorded code"


INSURANCE_COLUMNS = ["cards_in_force", "cards_valid", "card_months", "cost", "state", "household"]


def health_insurance(report: dict[str, Any] | None, units: str) -> Section:
    source = f"insurance GET /reports/cards?units={units}"
    if report is None:
        return not_available("health_insurance", "insurance", source)
    total = report["total"]
    by_group = [[g["group"], *(g[c] for c in INSURANCE_COLUMNS)] for g in report["groups"]]
    by_unit = [[u["code"], u["name"], *(u[c] for c in INSURANCE_COLUMNS), u["note"]] for u in report["rows"]]
    footer = ["total", *(total[c] for c in INSURANCE_COLUMNS)]
    return Section(
        "health_insurance",
        True,
        figures={
            "as_of": report["as_of"],
            "first": report["first"],
            "last": report["last"],
            "groups": report["groups"],
            "rows": report["rows"],
            "total": total,
        },
        tables=[
            Table(["group", *INSURANCE_COLUMNS], [*by_group, footer], "by_card_group"),
            Table(["code", "name", *INSURANCE_COLUMNS, "note"], [*by_unit, ["", *footer, ""]], "by_unit"),
        ],
        note=(
            f"Thẻ còn hạn ngày {report['as_of']}; kinh phí các tháng {report['first']}–{report['last']}: "
            "4,5% mức lương cơ sở mỗi thẻ-tháng, hộ gia đình theo phương thức giảm dần; phần ngân sách "
            "nhà nước và phần hộ gia đình đóng."
        ),
        note_en=(
            f"Cards in force on {report['as_of']}; cost of the months {report['first']}–"
            f"{report['last']}: 4.5% of the base salary per card-month, the household scheme for "
            "GB; the state budget's part and the households' part."
        ),
        sources=[source],
    )


GIVEN_COLUMNS = ["approved", "children", "amount_approved", "paid", "amount_paid", "unpaid"]


def children(
    groups: dict[str, Any] | None, support: dict[str, Any] | None, given: dict[str, Any] | None, units: str
) -> Section:
    sources = [
        "child_protection GET /reports/children",
        "child_protection GET /reports/support",
        "child_protection GET /reports/given",
    ]
    if groups is None or support is None or given is None:
        return not_available("children", "child protection", *sources)
    by_group: Counter[str] = Counter()
    for r in groups["rows"]:
        by_group[r["group"]] += r["children"]
    by_unit: dict[tuple[str, str, str], list[int]] = {}
    for r in support["rows"]:
        counts = by_unit.setdefault(_unit_of(units, r["district_code"] or "", r["commune_code"]), [0, 0])
        counts[0] += r["children"]
        counts[1] += r["supported"]
    total_children = sum(c[0] for c in by_unit.values())
    total_supported = sum(c[1] for c in by_unit.values())
    given_rows = [[r["kind"], r["funding"], *(r[c] for c in GIVEN_COLUMNS)] for r in given["rows"]]
    given_total = {c: sum(r[c] for r in given["rows"]) for c in GIVEN_COLUMNS}
    return Section(
        "children",
        True,
        figures={
            "on": groups["on"],
            "children": total_children,
            "supported": total_supported,
            "by_group": dict(sorted(by_group.items())),
            "units": [
                {"code": k[0], "name": k[1], "note": k[2], "children": v[0], "supported": v[1]}
                for k, v in sorted(by_unit.items())
            ],
            "given": {"since": given["since"], "until": given["until"], "rows": given["rows"], "total": given_total},
        },
        tables=[
            Table(["group", "children_count"], [[g, n] for g, n in sorted(by_group.items())], "by_group"),
            Table(
                ["code", "name", "children_count", "supported", "note"],
                [[k[0], k[1], v[0], v[1], k[2]] for k, v in sorted(by_unit.items())]
                + [["", "total", total_children, total_supported, ""]],
                "by_unit",
            ),
            Table(
                [
                    "kind",
                    "funding",
                    "items_approved",
                    "children_supported",
                    "amount_approved",
                    "items_paid",
                    "amount_paid",
                    "items_unpaid",
                ],
                [*given_rows, ["total", "", *(given_total[c] for c in GIVEN_COLUMNS)]],
                "support_given",
            ),
        ],
        note=(
            f"Trẻ em có hoàn cảnh đặc biệt ngày {groups['on']} (một trẻ có thể thuộc nhiều nhóm); hỗ trợ bằng "
            f"tiền từ {given['since']} đến {given['until']}. Chỉ số đếm, không có thông tin cá nhân."
        ),
        note_en=(
            f"Children in special circumstances on {groups['on']} (a child may be in several groups); money "
            f"support from {given['since']} to {given['until']}. Counts only, no personal data."
        ),
        sources=[
            f"{sources[0]}?on={groups['on']}",
            f"{sources[1]}?on={support['on']}",
            f"{sources[2]}?since={given['since']}&until={given['until']}",
        ],
    )


def postal(ledger: dict[str, Any] | None) -> Section:
    source = "payments GET /ledger/totals?by=programme"
    if ledger is None:
        return not_available("postal", "payments", source)
    columns = ["programme", "issued", "paid", "carried", "held", "returned"]
    ordered = sorted(
        ledger["rows"], key=lambda r: (PROGRAMME_ORDER.index(r["key"]) if r["key"] in PROGRAMME_ORDER else 99, r["key"])
    )
    rows = [[r["key"], *(r[c] for c in columns[1:])] for r in ordered]
    total = ledger["total"]
    rows.append(["total", *(total[c] for c in columns[1:])])
    return Section(
        "postal",
        True,
        figures={c: total[c] for c in columns[1:]},
        tables=[Table(columns, rows, "by_programme")],
        sources=[source],
    )


async def annual(fetch: Fetch, year: int, units: str) -> list[Section]:
    """Every section of ``year``: the services are asked at once."""
    today = clock.today()
    month = f"{year}-12" if year < today.year else today.strftime("%Y-%m")
    as_of = min(date(year, 12, 31), today).isoformat()
    by = {"by": "commune", "units": "2025"} if units == "2025" else {"by": "district", "units": "recorded"}
    (
        beneficiaries,
        ledger,
        cumulative,
        gifts,
        relief,
        facilities,
        cards,
        groups,
        support,
        given,
    ) = await asyncio.gather(
        fetch("registry", "/reports/beneficiaries", {"month": month, **by}),
        fetch("payments", "/ledger/totals", {"year": year, "by": "programme"}),
        fetch(
            "payments",
            "/ledger/totals",
            {"year": year, "since": 2000, "by": "programme", "programme": "monthly_allowance"},
        ),
        fetch("payments", "/reports/longevity", {"year": year}),
        fetch("payments", "/reports/emergency", {"year": year}),
        fetch("registry", "/reports/facilities", {"year": year}),
        fetch("insurance", "/reports/cards", {"year": year, "units": units}),
        fetch("child_protection", "/reports/children", {"on": as_of}),
        fetch("child_protection", "/reports/support", {"on": as_of}),
        fetch("child_protection", "/reports/given", {"since": f"{year}-01-01", "until": as_of}),
    )
    return [
        monthly_allowance(beneficiaries, ledger, cumulative),
        _ledger_section("electricity", ledger),
        _ledger_section("artisans", ledger),
        health_insurance(cards, units),
        longevity(gifts),
        emergency(relief),
        residential(facilities),
        children(groups, support, given, units),
        postal(ledger),
    ]


def internal_claims(principal: Principal) -> dict[str, Any]:
    """The gateway's token for asking the services on the caller's behalf: same client and areas, read scopes,
    one minute."""
    now = round(time.time(), 3)
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": principal.client_id,
        "client_id": principal.client_id,
        # The caller's revocation id: revoking the client (or rotating its secret) revokes this token too.
        "rid": principal.revocation_id,
        "scope": " ".join(READ_SCOPES),
        "iat": now,
        "nbf": int(now),
        # An admin's areas do not limit it: its report covers everything, as its own reads do.
        "areas": [] if principal.limited_to is None else list(principal.areas),
        "exp": int(now) + 60,
        "jti": uuid.uuid4().hex,
    }


def today() -> date:
    return clock.today()
