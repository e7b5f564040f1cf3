"""The annual report's layout from the services' answers: sections not offered say so, totals are carried over as
given, and the HTML, PDF and XLSX renderings hold the Vietnamese text and the figures (formulas neutralised)."""

from __future__ import annotations

import io
import re

import openpyxl

from gateway.reports import compose, render

LEDGER_ROW = {"key": "monthly_allowance", "regular": 1_080_000, "arrears": 400_000, "recovery": -540_000,
              "to_recover": 0, "to_recover_offset": 0, "issued": 940_000, "paid": 540_000, "carried": 400_000,
              "held": 0, "returned": 0, "recovered": 0, "entries": 4}


async def fetch(service, path, query):
    if service == "registry" and path == "/reports/beneficiaries":
        assert query["units"] in ("recorded", "2025")
        return {"month": "2026-12", "rows": [
            {"code": "29242", "name": "=HYPERLINK(\"x\")", "beneficiaries": 1, "amount": 1_080_000, "suspended": 0,
             "categories": {"5.5a": 1}}], "total": {"beneficiaries": 1, "amount": 1_080_000, "suspended": 0}}
    if path == "/ledger/totals":
        return {"rows": [LEDGER_ROW], "total": LEDGER_ROW}
    return None  # longevity, emergency and facilities do not answer


async def sections():
    return await compose.annual(fetch, 2026, "2025")


async def test_sections_carry_the_services_figures_and_say_what_is_missing():
    found = {s.key: s for s in await sections()}
    assert list(found) == ["monthly_allowance", "electricity", "artisans", "health_insurance", "longevity",
                           "emergency", "residential", "children", "postal"]
    allowance = found["monthly_allowance"].figures
    assert (allowance["beneficiaries"], allowance["categories"], allowance["ledger"]["paid"]) == (1, {"5.5a": 1},
                                                                                                 540_000)
    assert found["electricity"].figures["issued"] == 0  # the ledger has no electricity row: nothing issued
    assert [k for k, s in found.items() if not s.available] == ["health_insurance", "longevity", "emergency",
                                                                "residential", "children"]
    assert found["postal"].figures == {"issued": 940_000, "paid": 540_000, "carried": 400_000, "held": 0,
                                       "returned": 0}


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
    assert "'=HYPERLINK(\"x\")" in cells and 1_080_000 in cells
