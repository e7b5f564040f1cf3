"""The annual report's layout from the services' answers: sections not offered say so, totals are carried over as
given, and the HTML, PDF and XLSX renderings hold the Vietnamese text and the figures (formulas neutralised)."""

from __future__ import annotations

import io
import re

import openpyxl

from gateway.reports import compose, render

LEDGER_ROW = {
    "key": "monthly_allowance",
    "regular": 1_080_000,
    "arrears": 400_000,
    "recovery": -540_000,
    "to_recover": 0,
    "to_recover_offset": 0,
    "issued": 940_000,
    "paid": 540_000,
    "carried": 400_000,
    "held": 0,
    "returned": 0,
    "recovered": 0,
    "entries": 4,
}


async def fetch(service, path, query):
    if service == "registry" and path == "/reports/beneficiaries":
        assert query["units"] in ("recorded", "2025")
        return {
            "month": "2026-12",
            "rows": [
                {
                    "code": "29242",
                    "name": '=HYPERLINK("x")',
                    "beneficiaries": 1,
                    "amount": 1_080_000,
                    "suspended": 0,
                    "categories": {"5.5a": 1},
                }
            ],
            "total": {"beneficiaries": 1, "amount": 1_080_000, "suspended": 0},
        }
    if path == "/ledger/totals":
        return {"rows": [LEDGER_ROW], "total": LEDGER_ROW}
    return None  # longevity, emergency and facilities do not answer


async def sections():
    return await compose.annual(fetch, 2026, "2025")


async def test_sections_carry_the_services_figures_and_say_what_is_missing():
    found = {s.key: s for s in await sections()}
    assert list(found) == [
        "monthly_allowance",
        "electricity",
        "artisans",
        "health_insurance",
        "longevity",
        "emergency",
        "residential",
        "children",
        "postal",
    ]
    allowance = found["monthly_allowance"].figures
    assert (allowance["beneficiaries"], allowance["categories"], allowance["ledger"]["paid"]) == (
        1,
        {"5.5a": 1},
        540_000,
    )
    assert found["electricity"].figures["issued"] == 0  # the ledger has no electricity row: nothing issued
    assert [k for k, s in found.items() if not s.available] == [
        "health_insurance",
        "longevity",
        "emergency",
        "residential",
        "children",
    ]
    assert found["postal"].figures == {"issued": 940_000, "paid": 540_000, "carried": 400_000, "held": 0, "returned": 0}


async def test_html_pdf_and_xlsx_renderings():
    found = await sections()
    page = render.as_html(2026, found, "vi", "2026-12-31")
    assert "Trợ cấp xã hội hằng tháng" in page and "1.080.000" in page and "Chưa có số liệu" in page
    assert "&quot;" in page  # names are escaped
    pdf = render.as_pdf(2026, found, "en", "2026-12-31")
    assert pdf.startswith(b"%PDF-") and len(re.findall(rb"/Type /Page\b", pdf)) >= 1
    assert b"NotoSerif" in pdf  # the Vietnamese-capable font is embedded
    book = openpyxl.load_workbook(io.BytesIO(render.as_xlsx(2026, found, "vi")))
    assert len(book.sheetnames) == 9
    cells = [c for row in book["1 monthly_allowance"].iter_rows(values_only=True) for c in row if c is not None]
    assert '\'=HYPERLINK("x")' in cells and 1_080_000 in cells


CARDS = {
    "year": 2026,
    "as_of": "2026-12-04",
    "first": "2026-01",
    "last": "2026-12",
    "units": "recorded",
    "by": "district",
    "groups": [
        {
            "group": "TE",
            "name": "Trẻ em dưới 6 tuổi",
            "cards_in_force": 2,
            "cards_valid": 3,
            "card_months": 30,
            "cost": 3_159_000,
            "state": 3_159_000,
            "household": 0,
        },
        {
            "group": "GB",
            "name": "Hộ nông…",
            "cards_in_force": 1,
            "cards_valid": 1,
            "card_months": 12,
            "cost": 1_263_600,
            "state": 379_080,
            "household": 884_520,
        },
    ],
    "rows": [
        {
            "code": "842",
            "name": "Thành phố Trà Vinh",
            "note": "",
            "cards_in_force": 3,
            "cards_valid": 4,
            "card_months": 42,
            "cost": 4_422_600,
            "state": 3_538_080,
            "household": 884_520,
        }
    ],
    "total": {
        "cards_in_force": 3,
        "cards_valid": 4,
        "card_months": 42,
        "cost": 4_422_600,
        "state": 3_538_080,
        "household": 884_520,
    },
}
CHILDREN = {
    "report": "children",
    "on": "2026-12-04",
    "rows": [
        {
            "district_code": "842",
            "commune_code": "29242",
            "commune_name": "Phường Trà Vinh",
            "group": "orphan",
            "children": 2,
        },
        {
            "district_code": "",
            "commune_code": "29263",
            "commune_name": "Phường Long Đức",
            "group": "disabled",
            "children": 1,
        },
        {"district_code": "842", "commune_code": "29236", "commune_name": "Phường 4", "group": "orphan", "children": 1},
    ],
}
SUPPORT = {
    "report": "support",
    "on": "2026-12-04",
    "rows": [
        {
            "district_code": "842",
            "commune_code": "29242",
            "commune_name": "",
            "children": 2,
            "supported": 1,
            "share_percent": 50.0,
        },
        {
            "district_code": "",
            "commune_code": "29263",
            "commune_name": "",
            "children": 1,
            "supported": 0,
            "share_percent": 0.0,
        },
        {
            "district_code": "842",
            "commune_code": "29236",
            "commune_name": "",
            "children": 1,
            "supported": 1,
            "share_percent": 100.0,
        },
    ],
}
GIVEN = {
    "report": "given",
    "since": "2026-01-01",
    "until": "2026-12-04",
    "rows": [
        {
            "kind": "surgery",
            "funding": "charity",
            "approved": 1,
            "children": 1,
            "amount_approved": 2_950_000_000,
            "paid": 1,
            "amount_paid": 2_950_000_000,
            "unpaid": 0,
        }
    ],
}


async def fetch_all(service, path, query):
    answers = {
        ("insurance", "/reports/cards"): CARDS,
        ("child_protection", "/reports/children"): CHILDREN,
        ("child_protection", "/reports/support"): SUPPORT,
        ("child_protection", "/reports/given"): GIVEN,
    }
    if (service, path) in answers:
        return answers[(service, path)]
    if path == "/ledger/totals" and query.get("since") == 2000:
        assert query["programme"] == "monthly_allowance"
        return {"rows": [{**LEDGER_ROW, "paid": 5_000_000}], "total": LEDGER_ROW}
    return await fetch(service, path, query)


async def test_insurance_children_and_the_cumulative_allowance_in_every_format():
    found = {s.key: s for s in await compose.annual(fetch_all, 2026, "recorded")}
    allowance = found["monthly_allowance"]
    assert allowance.figures["cumulative"]["paid"] == 5_000_000 and allowance.figures["ledger"]["paid"] == 540_000
    assert allowance.tables[-1].rows[1][:1] == ["cumulative"] and allowance.tables[-1].rows[1][5] == 5_000_000
    cards = found["health_insurance"]
    assert cards.available and cards.figures["total"]["state"] == 3_538_080
    assert cards.tables[0].rows[-1] == ["total", 3, 4, 42, 4_422_600, 3_538_080, 884_520]
    kids = found["children"]
    assert (kids.figures["children"], kids.figures["supported"]) == (4, 2)
    assert kids.figures["by_group"] == {"disabled": 1, "orphan": 3}
    # By old district: the 2025 commune with no district recorded stays apart, said so.
    assert [(u["code"], u["children"], u["note"]) for u in kids.figures["units"]] == [
        ("29263", 1, "no_district"),
        ("842", 3, ""),
    ]
    by_2025 = {s.key: s for s in await compose.annual(fetch_all, 2026, "2025")}["children"].figures["units"]
    # Phường 4 (29236) became Phường Long Đức (29263); Phường Trà Vinh keeps its code.
    assert [(u["code"], u["name"], u["children"]) for u in by_2025] == [
        ("29242", "Phường Trà Vinh", 2),
        ("29263", "Phường Long Đức", 2),
    ]
    sections = list(found.values())
    page = render.as_html(2026, sections, "vi", "2026-12-04")
    assert "Thẻ bảo hiểm y tế" in page and "3.538.080" in page and "Trẻ em dưới 6 tuổi" in page
    assert "Lũy kế từ khi có số liệu đến hết năm" in page and "Trẻ mồ côi" in page and "2.950.000.000" in page
    english = render.as_html(2026, sections, "en", "2026-12-04")
    assert "Children under 6" in english and "Cumulative since records began" in english
    assert "Money support given in the year" in english and "Surgery" in english and "Tổng" not in english
    assert "Counts only, no personal data" in english and "Chỉ số đếm" not in english
    book = openpyxl.load_workbook(io.BytesIO(render.as_xlsx(2026, sections, "vi")))
    cells = [c for row in book["4 health_insurance"].iter_rows(values_only=True) for c in row if c is not None]
    assert 884_520 in cells and "Ngân sách nhà nước (đồng)" in cells
    cells = [c for row in book["8 children"].iter_rows(values_only=True) for c in row if c is not None]
    assert 2_950_000_000 in cells and "Khuyết tật" in cells
    assert render.as_pdf(2026, sections, "vi", "2026-12-04").startswith(b"%PDF-")


ENGLISH_NOTES = (
    "2025 commune across old districts 842, 847",
    "no district recorded and none in the 2025 mapping",
    "split into 29263, 29264: counted under its recorded code",
)


async def fetch_with_english_notes(service, path, query):
    """Insurance's by-unit rows carry its notes (in English); the registry does not answer."""
    if (service, path) == ("insurance", "/reports/cards"):
        row = CARDS["rows"][0]
        rows = [{**row, "code": f"2924{i}", "note": note} for i, note in enumerate(ENGLISH_NOTES)]
        return {**CARDS, "rows": [row, *rows]}
    if service == "registry":
        return None
    return await fetch_all(service, path, query)


async def test_the_vietnamese_rendering_has_no_english_notes_and_the_english_one_keeps_them():
    sections = await compose.annual(fetch_with_english_notes, 2026, "recorded")
    english_phrases = ("across old districts", "no district recorded", "split into", "counted under", "did not answer")
    page = render.as_html(2026, sections, "vi", "2026-12-04")
    book = openpyxl.load_workbook(io.BytesIO(render.as_xlsx(2026, sections, "vi")))
    cells = " ".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c)
    for text in (page, cells):
        assert not [p for p in english_phrases if p in text]
        assert "Xã, phường từ 01/7/2025 gồm địa bàn các huyện cũ 842, 847" in text
        assert "Đã tách thành 29263, 29264: tính theo mã đã ghi" in text
        assert "Hệ thống quản lý đối tượng không trả lời" in text
    english = render.as_html(2026, sections, "en", "2026-12-04")
    assert all(note in english for note in ENGLISH_NOTES) and "the registry did not answer" in english
