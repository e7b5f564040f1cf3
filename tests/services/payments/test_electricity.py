"""Electricity support: poor and social-policy households, the province's amount per month, paid by quarter."""

import uuid

from .helpers import batches, feed, generate, line_of, maker, period, poverty, run, schedule


async def test_a_quarter_pays_each_month_a_household_is_poor_at_the_amount_in_force(app, http, minter):
    always, from_february, not_poor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        poverty(always, "poor", "2025-01-01"),
        poverty(from_february, "near_poor", "2025-01-01"),
        poverty(from_february, "poor", "2026-02-01"),
        poverty(not_poor, "near_poor", "2025-01-01"),
    )
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
    r = await http.post(
        "/programmes/electricity/parameters",
        json={
            "name": "amount_per_month",
            "valid_from": "2026-01",
            "value": "50000",
            "legal_basis": "QĐ UBND tỉnh: 30 kWh × giá bậc 1 mới",
        },
        headers=minter.headers("admin"),
    )
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


# --- social-policy households: a member on the allowance, not poor, low use declared -----------------------------


async def declare(http, minter, household, low_use=True, valid_from="2025-01-01", **kw):
    r = await http.post(
        f"/households/{household}/electricity-use",
        headers=maker(minter, **kw),
        json={"low_use": low_use, "valid_from": valid_from, "document": "Biên bản xác minh UBND xã"},
    )
    return r


async def member(app, household, first="2024-07", last=None, **kw):
    beneficiary = uuid.uuid4()
    await feed(app, schedule(beneficiary, 1, [period(first, last, 750_000)], household_id=household, **kw))
    return beneficiary


async def test_a_social_policy_household_is_paid_each_month_it_has_a_member_on_the_allowance(app, http, minter):
    social, no_declaration, declared_high, member_until_january = (uuid.uuid4() for _ in range(4))
    for household in (social, no_declaration, declared_high):
        await member(app, household)
    await member(app, member_until_january, last="2026-01")
    for household in (social, member_until_january):
        r = await declare(http, minter, household)
        assert r.status_code == 201, r.text
    assert (await declare(http, minter, declared_high, low_use=False)).status_code == 201

    q1 = await generate(http, minter, "electricity", "2026-Q1")
    line = await line_of(http, minter, q1, social)
    assert (line["household_id"], line["commune_code"], line["total"]) == (str(social), "84101", 3 * 46_000)
    assert [m["month"] for m in line["months"]] == ["2026-01", "2026-02", "2026-03"]
    assert (await line_of(http, minter, q1, member_until_january))["total"] == 46_000
    assert await line_of(http, minter, q1, no_declaration) is None
    assert await line_of(http, minter, q1, declared_high) is None

    r = await http.get(f"/households/{social}/electricity-use", headers=maker(minter))
    assert [(d["valid_from"], d["low_use"]) for d in r.json()["declarations"]] == [("2025-01-01", True)]


async def test_a_poor_household_is_not_a_social_policy_household_and_is_paid_once(app, http, minter):
    both = uuid.uuid4()
    await feed(app, poverty(both, "poor", "2025-01-01"), poverty(both, "near_poor", "2026-03-01"))
    await member(app, both)
    assert (await declare(http, minter, both)).status_code == 201
    payroll = await run(http, minter, "electricity", "2026-Q1")
    line = await line_of(http, minter, payroll, both)
    # Poor in January and February, social-policy in March: one support a month, one line.
    assert (line["regular"], line["total"]) == (3 * 46_000, 3 * 46_000)
    assert [(m["month"], m["amount"]) for m in line["months"]] == [
        ("2026-01", 46_000),
        ("2026-02", 46_000),
        ("2026-03", 46_000),
    ]
    assert (await batches(http, minter, payroll))["84101"]["amount"] >= 3 * 46_000


async def test_a_household_out_of_poverty_needs_a_low_use_declaration_and_a_member(app, http, minter):
    left = uuid.uuid4()
    await feed(app, poverty(left, "poor", "2025-01-01"), poverty(left, "none", "2026-02-01"))
    await member(app, left)
    q1 = await generate(http, minter, "electricity", "2026-Q1")
    assert (await line_of(http, minter, q1, left))["total"] == 46_000  # January only: poor


async def test_a_retroactive_declaration_is_paid_as_arrears_and_a_member_leaving_is_recovered(app, http, minter):
    household = uuid.uuid4()
    beneficiary = await member(app, household)
    await run(http, minter, "electricity", "2026-Q1")  # nothing yet: no declaration
    assert (await declare(http, minter, household, valid_from="2026-02-01")).status_code == 201
    q2 = await run(http, minter, "electricity", "2026-Q2")
    line = await line_of(http, minter, q2, household)
    assert (line["regular"], line["arrears"]) == (3 * 46_000, 2 * 46_000)

    # The member's allowance ended with March (decided late): April to June were paid for nothing.
    await feed(app, schedule(beneficiary, 2, [period("2024-07", "2026-03", 750_000)], household_id=household))
    line = await line_of(http, minter, await generate(http, minter, "electricity", "2026-Q3"), household)
    assert (line["regular"], line["recovery"], line["to_recover"]) == (0, -3 * 46_000, 3 * 46_000)


async def test_declarations_need_a_known_household_within_the_clients_areas(app, http, minter):
    assert (await declare(http, minter, uuid.uuid4())).status_code == 404
    household = uuid.uuid4()
    await member(app, household, commune="86101", district="861", province="86")
    assert (await declare(http, minter, household, areas=("842",))).status_code == 404
    r = await declare(http, minter, household, areas=("861",))
    assert r.status_code == 201 and r.json()["declarations"][0]["commune_code"] == "86101"
    # The same day again replaces the declaration.
    r = await declare(http, minter, household, low_use=False)
    assert [d["low_use"] for d in r.json()["declarations"]] == [False]
    r = await http.post(
        f"/households/{household}/electricity-use",
        headers=maker(minter),
        json={"low_use": "maybe", "valid_from": "2026-01-01", "document": "x"},
    )
    assert r.status_code == 422
