"""The ledger: written on approval, append-only, totals equal to the sum of the payroll lines exactly."""

import csv
import io
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from .helpers import account_from, feed, lines, maker, period, run, schedule

ALLOWANCE = "monthly_allowance"


async def test_ledger_totals_equal_the_sum_of_approved_lines_by_programme_period_and_unit(app, http, minter):
    await account_from(http, minter, ALLOWANCE, "2026-01")
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        schedule(a, 1, [period("2024-07", None, 750_000)], commune="84101", district="842"),
        schedule(b, 1, [period("2024-07", None, 1_000_000, "5.5a", "2.0")], commune="84103", district="842"),
        schedule(c, 1, [period("2024-07", None, 500_000)], commune="84401", district="844"),
    )
    january = await run(http, minter, ALLOWANCE, "2026-01")
    # A death recorded late (recovery beyond what the line pays) and a late decision (arrears).
    late = uuid.uuid4()
    await feed(
        app,
        schedule(
            a,
            2,
            [period("2025-07", "2025-12", 750_000)],
            computed_from="2025-07",
            status="deceased",
            death_date="2025-12-03",
        ),
        schedule(late, 1, [period("2026-01", None, 750_000)], computed_from="2026-01", commune="84401", district="844"),
    )
    february = await run(http, minter, ALLOWANCE, "2026-02")
    paid = [x for p in (january, february) for x in await lines(http, minter, p)]
    r = await http.get("/ledger/totals", params={"year": 2026, "by": "programme"}, headers=maker(minter))
    assert r.status_code == 200, r.text
    report = r.json()
    assert (
        report["total"]["issued"]
        == sum(x["total"] for x in paid)
        == january["totals"]["amount"] + february["totals"]["amount"]
    )
    assert report["total"]["recovery"] == -750_000 and report["total"]["to_recover"] == 750_000
    assert report["total"]["arrears"] == 750_000
    assert [row["key"] for row in report["rows"]] == [ALLOWANCE]
    by_period = (await http.get("/ledger/totals", params={"year": 2026, "by": "period"}, headers=maker(minter))).json()
    assert {row["key"]: row["issued"] for row in by_period["rows"]} == {
        "2026-01": january["totals"]["amount"],
        "2026-02": february["totals"]["amount"],
    }
    by_district = (
        await http.get("/ledger/totals", params={"year": 2026, "by": "district"}, headers=maker(minter))
    ).json()
    assert {row["key"]: row["issued"] for row in by_district["rows"]} == {
        d: sum(x["total"] for x in paid if x["district_code"] == d) for d in ("842", "844")
    }
    by_commune = (
        await http.get("/ledger/totals", params={"year": 2026, "by": "commune"}, headers=maker(minter, areas=("844",)))
    ).json()
    assert [row["key"] for row in by_commune["rows"]] == ["84401"]
    assert by_commune["total"]["issued"] == sum(x["total"] for x in paid if x["district_code"] == "844")
    empty = (await http.get("/ledger/totals", params={"year": 2025}, headers=maker(minter))).json()
    assert (empty["rows"], empty["total"]["issued"]) == ([], 0)


async def test_cumulative_totals_since_a_year_add_up_the_years(app, http, minter):
    await account_from(http, minter, ALLOWANCE, "2025-12")
    await feed(app, schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)]))
    december = await run(http, minter, ALLOWANCE, "2025-12")
    january = await run(http, minter, ALLOWANCE, "2026-01")
    got = {}
    for params in ({"year": 2025}, {"year": 2026}, {"year": 2026, "since": 2000}, {"year": 2026, "since": 2026}):
        r = await http.get("/ledger/totals", params=params, headers=maker(minter))
        assert r.status_code == 200, r.text
        got[tuple(params.values())] = r.json()
    assert got[(2025,)]["total"]["issued"] == december["totals"]["amount"] == 750_000
    assert got[(2026, 2000)]["since"] == 2000 and got[(2026,)]["since"] is None
    assert got[(2026, 2000)]["total"]["issued"] == december["totals"]["amount"] + january["totals"]["amount"]
    assert got[(2026, 2026)]["total"] == got[(2026,)]["total"]
    r = await http.get("/ledger/totals", params={"year": 2025, "since": 2026}, headers=maker(minter))
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "query.since")


async def test_ledger_totals_as_csv_with_vietnamese_headers(app, http, minter):
    await feed(app, schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)]))
    await run(http, minter, ALLOWANCE, "2026-01")
    r = await http.get("/ledger/totals", params={"year": 2026, "by": "commune", "format": "csv"}, headers=maker(minter))
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Mã xã", "Chi thường xuyên", "Truy lĩnh"]
    assert rows[1][:2] == ["84101", "750000"] and rows[-1][0] == "Tổng cộng"


async def test_the_ledger_refuses_updates_and_deletes(app, http, minter):
    await feed(app, schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)]))
    await run(http, minter, ALLOWANCE, "2026-01")
    async with app.state.sessionmaker() as s:
        with pytest.raises(DBAPIError, match="append-only"):
            async with s.begin_nested():
                await s.execute(text("UPDATE payments.ledger_entries SET amount = amount + 1"))
        with pytest.raises(DBAPIError, match="append-only"):
            async with s.begin_nested():
                await s.execute(text("DELETE FROM payments.ledger_entries"))
