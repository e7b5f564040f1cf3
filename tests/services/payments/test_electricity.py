"""Electricity support: poor households, the province's amount per month, paid by quarter."""

import uuid

from .helpers import feed, generate, line_of, poverty, run


async def test_a_quarter_pays_each_month_a_household_is_poor_at_the_amount_in_force(app, http, minter):
    always, from_february, not_poor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await feed(app, poverty(always, "poor", "2025-01-01"),
               poverty(from_february, "near_poor", "2025-01-01"), poverty(from_february, "poor", "2026-02-01"),
               poverty(not_poor, "near_poor", "2025-01-01"))
    q1 = await generate(http, minter, "electricity", "2026-Q1")
    assert q1["totals"]["line_count"] == 2
    line = await line_of(http, minter, q1, always)
    assert (line["household_id"], line["regular"], line["total"]) == (str(always), 3 * 46_000, 138_000)
    assert [m["month"] for m in line["months"]] == ["2026-01", "2026-02", "2026-03"]
    assert (await line_of(http, minter, q1, from_february))["total"] == 2 * 46_000
    assert await line_of(http, minter, q1, not_poor) is None


async def test_a_retroactive_provincial_amount_is_paid_as_arrears_next_quarter(app, http, minter):
    household = uuid.uuid4()
    await feed(app, poverty(household, "poor", "2025-01-01"))
    await run(http, minter, "electricity", "2026-Q1")
    r = await http.post("/programmes/electricity/parameters",
                        json={"name": "amount_per_month", "valid_from": "2026-01", "value": "50000",
                              "legal_basis": "QĐ UBND tỉnh: 30 kWh × giá bậc 1 mới"}, headers=minter.headers("admin"))
    assert r.status_code == 201, r.text
    line = await line_of(http, minter, await generate(http, minter, "electricity", "2026-Q2"), household)
    assert (line["regular"], line["arrears"]) == (3 * 50_000, 3 * 4_000)


async def test_a_household_that_left_poverty_retroactively_is_recovered(app, http, minter):
    household = uuid.uuid4()
    await feed(app, poverty(household, "poor", "2025-01-01"))
    await run(http, minter, "electricity", "2026-Q1")
    await feed(app, poverty(household, "none", "2026-03-01"))
    line = await line_of(http, minter, await generate(http, minter, "electricity", "2026-Q2"), household)
    assert (line["regular"], line["recovery"], line["total"], line["to_recover"]) == (0, -46_000, 0, 46_000)
