"""Payrolls per programme and period: regular amounts, arrears, recoveries, maker-checker, immutability."""

import importlib.util
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.payments.events import PAYROLL_APPROVED
from services.payments.models import EVENT_TABLES

from .helpers import (
    CHECKER,
    MAKER,
    account_from,
    approve,
    checker,
    feed,
    generate,
    line_of,
    lines,
    maker,
    period,
    run,
    schedule,
)

ALLOWANCE = "monthly_allowance"
MIGRATION_0014 = Path(__file__).parents[3] / "services/payments/migrations/versions/payments_0014_payroll_storage.py"


async def test_regular_amounts_come_from_each_schedule_and_control_totals_are_the_sum_of_lines(app, http, minter):
    a, b, ended = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        schedule(a, 1, [period("2024-07", None, 750_000)]),
        schedule(
            b,
            1,
            [period("2024-07", "2025-12", 750_000), period("2026-01", None, 1_000_000, "5.5a", "2.0")],
            commune="84103",
        ),
        schedule(ended, 2, [period("2024-07", "2025-11", 500_000)], status="terminated"),
    )
    payroll = await generate(http, minter, ALLOWANCE, "2026-01")
    assert (payroll["state"], payroll["accounting_from"]) == ("generated", "2026-01")
    got = {x["recipient_id"]: x for x in await lines(http, minter, payroll)}
    assert str(ended) not in got
    assert (got[str(a)]["regular"], got[str(a)]["arrears"], got[str(a)]["total"]) == (750_000, 0, 750_000)
    assert got[str(b)]["total"] == 1_000_000
    assert got[str(b)]["months"] == [
        {"month": "2026-01", "kind": "regular", "entitled": 1_000_000, "allocated": 0, "amount": 1_000_000}
    ]
    assert got[str(a)]["recipient_name"] == "Nguyễn Thị Lan"
    totals = payroll["totals"]
    assert totals["line_count"] == len(got) == 2
    assert totals["amount"] == sum(x["total"] for x in got.values()) == 1_750_000
    assert totals["regular"] == 1_750_000 and totals["arrears"] == totals["recovery"] == 0


async def _months(http, minter, payroll):
    return {
        x["recipient_id"]: [(m["month"], m["kind"], m["entitled"], m["allocated"], m["amount"]) for m in x["months"]]
        for x in await lines(http, minter, payroll)
    }


async def _stored(app, payroll) -> int:
    async with app.state.sessionmaker() as s:
        return int(
            await s.scalar(
                text("SELECT count(*) FROM payments.payroll_line_months WHERE payroll_id = :p"), {"p": payroll["id"]}
            )
        )


async def test_a_plain_month_is_read_from_its_line_and_reaches_the_ledger_and_migration_0014_converts_both_ways(
    app, http, minter
):
    """A line's single regular month of the period with nothing allocated is not stored: the lines, the ledger and
    the max_amount check read it from the line, and payments_0014 deletes (upgrade) or writes back (downgrade) such
    rows without changing what is read."""
    await account_from(http, minter, ALLOWANCE, "2026-01")
    plain, late = uuid.uuid4(), uuid.uuid4()
    await feed(app, schedule(plain, 1, [period("2024-07", None, 750_000)]))
    await run(http, minter, ALLOWANCE, "2026-01")
    await feed(app, schedule(late, 1, [period("2026-01", None, 500_000)], computed_from="2026-01"))
    february = await generate(http, minter, ALLOWANCE, "2026-02")
    expected = {
        str(plain): [("2026-02", "regular", 750_000, 0, 750_000)],
        str(late): [("2026-01", "arrears", 500_000, 0, 500_000), ("2026-02", "regular", 500_000, 0, 500_000)],
    }
    assert await _months(http, minter, february) == expected
    assert await _stored(app, february) == 2  # the late decision's two months; the plain one is read from its line
    assert (february["totals"]["line_count"], february["totals"]["amount"]) == (2, 1_750_000)

    spec = importlib.util.spec_from_file_location("payments_0014", MIGRATION_0014)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    async with app.state.sessionmaker() as s:  # downgrade: the plain month written back, as the old code stored it
        await s.execute(text(migration.INSERT_PLAIN))
        await s.commit()
    assert await _stored(app, february) == 3
    assert await _months(http, minter, february) == expected
    async with app.state.sessionmaker() as s:  # upgrade: only the plain month goes
        await s.execute(text(migration.DELETE_PLAIN))
        await s.commit()
    assert await _stored(app, february) == 2
    assert await _months(http, minter, february) == expected

    await approve(http, minter, february)
    async with app.state.sessionmaker() as s:
        entries = (
            await s.execute(
                text("""SELECT recipient_id, to_char(service_month, 'YYYY-MM'), kind, amount
                        FROM payments.ledger_entries WHERE payroll_id = :p ORDER BY 1, 2"""),
                {"p": february["id"]},
            )
        ).all()
    assert sorted((str(r), m, k, a) for r, m, k, a in entries) == sorted(
        [
            (str(plain), "2026-02", "regular", 750_000),
            (str(late), "2026-01", "arrears", 500_000),
            (str(late), "2026-02", "regular", 500_000),
        ]
    )
    # March: the plain month was allocated by the ledger, so nothing is owed twice; the late one is plain now.
    march = await generate(http, minter, ALLOWANCE, "2026-03")
    assert await _months(http, minter, march) == {
        str(plain): [("2026-03", "regular", 750_000, 0, 750_000)],
        str(late): [("2026-03", "regular", 500_000, 0, 500_000)],
    }
    assert await _stored(app, march) == 0


async def test_line_ids_are_uuidv7_increasing_in_recipient_order_and_new_each_payroll(app, http, minter):
    recipients = [uuid.uuid4() for _ in range(5)]
    await feed(app, *(schedule(r, 1, [period("2024-07", None, 750_000)]) for r in recipients))
    january = await run(http, minter, ALLOWANCE, "2026-01")
    february = await generate(http, minter, ALLOWANCE, "2026-02")
    first, second = await lines(http, minter, january), await lines(http, minter, february)
    for got in (first, second):
        assert {uuid.UUID(x["id"]).version for x in got} == {7}
        by_recipient = sorted(got, key=lambda x: uuid.UUID(x["recipient_id"]))
        ids = [uuid.UUID(x["id"]) for x in by_recipient]
        assert ids == sorted(ids) and len(set(ids)) == 5
    assert max(uuid.UUID(x["id"]) for x in first) < min(uuid.UUID(x["id"]) for x in second)


async def test_every_line_names_a_payroll_and_goes_with_it(app, http, minter):
    """The database keeps payroll_lines.payroll_id pointing at a payroll (triggers checking each statement's rows, in
    place of a foreign key checked row by row): a line naming no payroll is refused, deleting a payroll deletes its
    lines."""
    await feed(app, schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)]))
    payroll = await generate(http, minter, ALLOWANCE, "2026-01")
    stray = """
        INSERT INTO payments.payroll_lines (payroll_id, recipient_id, commune_code, district_code, province_code,
                                            regular, arrears, recovery, carried, total, to_recover)
        SELECT CAST(:p AS uuid), gen_random_uuid(), '84101', '841', '84', 1, 0, 0, 0, 1, 0
    """
    async with app.state.sessionmaker() as s:
        with pytest.raises(DBAPIError, match="names a payroll that does not exist"):
            async with s.begin_nested():
                await s.execute(text(stray), {"p": uuid.uuid4()})
        with pytest.raises(DBAPIError, match="names a payroll that does not exist"):
            async with s.begin_nested():
                await s.execute(
                    text("UPDATE payments.payroll_lines SET payroll_id = gen_random_uuid() WHERE payroll_id = :p"),
                    {"p": payroll["id"]},
                )
        await s.execute(text(stray), {"p": payroll["id"]})  # a second line of an existing payroll is fine
        count = text("SELECT count(*) FROM payments.payroll_lines WHERE payroll_id = :p")
        assert await s.scalar(count, {"p": payroll["id"]}) == 2
        await s.execute(text("DELETE FROM payments.payrolls WHERE id = :p"), {"p": payroll["id"]})
        assert await s.scalar(count, {"p": payroll["id"]}) == 0
        await s.commit()


async def test_a_late_decision_pays_the_months_before_it_as_arrears(app, http, minter):
    await account_from(http, minter, ALLOWANCE, "2026-01")
    known = uuid.uuid4()
    await feed(app, schedule(known, 1, [period("2024-07", None, 750_000)]))
    for month in ("2026-01", "2026-02"):
        await run(http, minter, ALLOWANCE, month)
    # Approved in March, effective from January: the registry sends the schedule only now.
    late = uuid.uuid4()
    await feed(app, schedule(late, 1, [period("2026-01", None, 750_000)], computed_from="2026-01"))
    march = await generate(http, minter, ALLOWANCE, "2026-03")
    line = await line_of(http, minter, march, late)
    assert (line["regular"], line["arrears"], line["recovery"], line["total"]) == (750_000, 1_500_000, 0, 2_250_000)
    assert [(m["month"], m["kind"], m["amount"]) for m in line["months"]] == [
        ("2026-01", "arrears", 750_000),
        ("2026-02", "arrears", 750_000),
        ("2026-03", "regular", 750_000),
    ]
    other = await line_of(http, minter, march, known)
    assert (other["regular"], other["arrears"], other["total"]) == (750_000, 0, 750_000)
    assert march["totals"]["arrears"] == 1_500_000


async def test_months_before_the_accounting_month_are_never_settled(app, http, minter):
    await account_from(http, minter, ALLOWANCE, "2026-03")
    late = uuid.uuid4()
    await feed(app, schedule(late, 1, [period("2025-10", None, 750_000)], computed_from="2025-10"))
    line = await line_of(http, minter, await generate(http, minter, ALLOWANCE, "2026-03"), late)
    assert (line["regular"], line["arrears"]) == (750_000, 0)


async def test_the_retroactive_2026_level_increase_is_paid_as_arrears_in_the_next_payroll(app, http, minter):
    await account_from(http, minter, ALLOWANCE, "2026-07")
    b = uuid.uuid4()  # 5.5a aged 80+: coefficient 2.0
    await feed(app, schedule(b, 1, [period("2024-07", None, 1_000_000, "5.5a", "2.0")]))
    for month in ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11"):
        await run(http, minter, ALLOWANCE, month)
    # Decree 335/2026 (540,000 from 2026-07) signed after those months were paid: schedule version 2.
    await feed(
        app,
        schedule(
            b,
            2,
            [
                period("2024-07", "2026-06", 1_000_000, "5.5a", "2.0"),
                period("2026-07", None, 1_080_000, "5.5a", "2.0", standard_level=540_000),
            ],
        ),
    )
    december = await generate(http, minter, ALLOWANCE, "2026-12")
    line = await line_of(http, minter, december, b)
    assert (line["regular"], line["arrears"], line["total"]) == (1_080_000, 5 * 80_000, 1_480_000)
    arrears = [m for m in line["months"] if m["kind"] == "arrears"]
    assert [m["month"] for m in arrears] == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert all((m["entitled"], m["allocated"], m["amount"]) == (1_080_000, 1_000_000, 80_000) for m in arrears)
    # Once paid, the arrears are settled: January 2027 pays the month only.
    await approve(http, minter, december)
    january = await generate(http, minter, ALLOWANCE, "2027-01")
    line = await line_of(http, minter, january, b)
    assert (line["regular"], line["arrears"], line["total"]) == (1_080_000, 0, 1_080_000)


async def test_a_death_recorded_late_recovers_the_months_paid_after_it_without_a_negative_total(app, http, minter):
    await account_from(http, minter, ALLOWANCE, "2026-01")
    dead, downgraded = uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        schedule(dead, 1, [period("2024-07", None, 750_000)]),
        schedule(downgraded, 1, [period("2024-07", None, 1_000_000, "5.5a", "2.0")]),
    )
    for month in ("2026-01", "2026-02", "2026-03"):
        await run(http, minter, ALLOWANCE, month)
    # Died 20 January: nothing owed from February (Feb and March were paid). The other one's category is corrected
    # from February: 1,000,000 → 750,000.
    await feed(
        app,
        schedule(
            dead,
            2,
            [period("2025-07", "2026-01", 750_000)],
            computed_from="2025-07",
            status="deceased",
            death_date="2026-01-20",
        ),
        schedule(
            downgraded, 2, [period("2024-07", "2026-01", 1_000_000, "5.5a", "2.0"), period("2026-02", None, 750_000)]
        ),
    )
    april = await generate(http, minter, ALLOWANCE, "2026-04")
    line = await line_of(http, minter, april, dead)
    assert (line["regular"], line["recovery"], line["total"], line["to_recover"]) == (0, -1_500_000, 0, 1_500_000)
    assert [(m["month"], m["kind"], m["entitled"], m["allocated"]) for m in line["months"]] == [
        ("2026-02", "recovery", 0, 750_000),
        ("2026-03", "recovery", 0, 750_000),
    ]
    netted = await line_of(http, minter, april, downgraded)
    assert (netted["regular"], netted["recovery"], netted["total"], netted["to_recover"]) == (
        750_000,
        -500_000,
        250_000,
        0,
    )
    totals = april["totals"]
    assert totals["amount"] == 250_000
    assert totals["regular"] + totals["arrears"] + totals["recovery"] + totals["to_recover"] == totals["amount"]
    # Settled once: May neither recovers again nor pays the dead.
    await approve(http, minter, april)
    may = await generate(http, minter, ALLOWANCE, "2026-05")
    assert await line_of(http, minter, may, dead) is None
    assert (await line_of(http, minter, may, downgraded))["total"] == 750_000


async def test_regenerating_before_approval_reflects_the_latest_projection(app, http, minter):
    a, b = uuid.uuid4(), uuid.uuid4()
    await feed(app, schedule(a, 1, [period("2024-07", None, 750_000)]))
    payroll = await generate(http, minter, ALLOWANCE, "2026-01")
    r = await http.post(f"/payrolls/{payroll['id']}/review", headers=maker(minter))
    assert r.json()["state"] == "reviewed"
    await feed(
        app,
        schedule(a, 2, [period("2024-07", None, 1_000_000, "5.5a", "2.0")]),
        schedule(b, 1, [period("2025-01", None, 500_000)]),
    )
    r = await http.post(f"/payrolls/{payroll['id']}/regenerate", headers=maker(minter, client_id="officer-2"))
    assert r.status_code == 200, r.text
    again = r.json()
    assert (again["state"], again["generated_by"], again["version"]) == ("generated", "officer-2", 3)
    assert again["totals"]["line_count"] == 2 and again["totals"]["amount"] == 1_500_000
    assert (await line_of(http, minter, again, a))["total"] == 1_000_000


async def test_maker_checker_the_generating_client_cannot_approve(app, http, minter):
    await feed(app, schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)]))
    payroll = await generate(http, minter, ALLOWANCE, "2026-01")
    url = f"/payrolls/{payroll['id']}"
    r = await http.post(f"{url}/approve", headers=checker(minter))
    assert (r.status_code, r.json()["type"].rsplit("/", 1)[1]) == (409, "payroll-state")  # not reviewed yet
    await http.post(f"{url}/review", headers=maker(minter))
    same = minter.headers("payments:read", "payments:approve", client_id=MAKER)
    r = await http.post(f"{url}/approve", headers=same)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/maker-checker")
    r = await http.post(f"{url}/approve", headers=maker(minter))
    assert r.status_code == 403 and r.json()["required_scopes"] == ["payments:approve"]
    r = await http.post(f"{url}/approve", headers=checker(minter))
    assert r.status_code == 200
    assert (r.json()["state"], r.json()["approved_by"], r.json()["generated_by"]) == ("approved", CHECKER, MAKER)


async def test_an_approved_payroll_is_immutable(app, http, minter):
    b = uuid.uuid4()
    await feed(app, schedule(b, 1, [period("2024-07", None, 750_000)]))
    payroll = await run(http, minter, ALLOWANCE, "2026-01")
    url = f"/payrolls/{payroll['id']}"
    for action, headers in [("regenerate", maker(minter)), ("review", maker(minter)), ("approve", checker(minter))]:
        r = await http.post(f"{url}/{action}", headers=headers)
        assert r.status_code == 409, action
        assert r.json()["type"].endswith("/payroll-immutable")
    await feed(app, schedule(b, 2, [period("2024-07", None, 2_000_000)]))
    r = await http.get(url, headers=maker(minter))
    assert r.json()["totals"] == payroll["totals"] and r.json()["version"] == payroll["version"]
    assert (await line_of(http, minter, payroll, b))["total"] == 750_000
    locked = await http.post(f"{url}/lock", headers=checker(minter))
    assert locked.json()["state"] == "locked"
    assert (await http.post(f"{url}/regenerate", headers=maker(minter))).status_code == 409


async def test_a_stale_if_match_gets_412(app, http, minter):
    payroll = await generate(http, minter, ALLOWANCE, "2026-01")
    url = f"/payrolls/{payroll['id']}"
    etag = (await http.get(url, headers=maker(minter))).headers["etag"]
    assert (await http.post(f"{url}/regenerate", headers=maker(minter))).status_code == 200
    r = await http.post(f"{url}/review", headers={**maker(minter), "If-Match": etag})
    assert r.status_code == 412
    fresh = (await http.get(url, headers=maker(minter))).headers["etag"]
    assert (await http.post(f"{url}/review", headers={**maker(minter), "If-Match": fresh})).status_code == 200


async def test_one_payroll_per_programme_and_period_and_periods_in_order(app, http, minter):
    first = await generate(http, minter, ALLOWANCE, "2026-02")
    r = await http.post("/payrolls", json={"programme": ALLOWANCE, "period": "2026-02"}, headers=maker(minter))
    assert r.status_code == 409
    assert (r.json()["type"].rsplit("/", 1)[1], r.json()["existing"]) == (
        "payroll-exists",
        f"/payments/payrolls/{first['id']}",
    )
    r = await http.post("/payrolls", json={"programme": ALLOWANCE, "period": "2026-03"}, headers=maker(minter))
    assert (r.status_code, r.json()["type"].rsplit("/", 1)[1]) == (409, "payroll-pending")
    await approve(http, minter, first)
    r = await http.post("/payrolls", json={"programme": ALLOWANCE, "period": "2026-01"}, headers=maker(minter))
    assert (r.status_code, r.json()["type"].rsplit("/", 1)[1]) == (409, "payroll-order")
    assert (
        await http.post("/payrolls", json={"programme": "electricity", "period": "2026-01"}, headers=maker(minter))
    ).status_code == 422
    assert (
        await http.post("/payrolls", json={"programme": ALLOWANCE, "period": "2026-Q1"}, headers=maker(minter))
    ).status_code == 422
    assert (
        await http.post("/payrolls", json={"programme": "nope", "period": "2026-01"}, headers=maker(minter))
    ).status_code == 404


async def test_lines_are_limited_to_the_clients_areas(app, http, minter):
    here, there = uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        schedule(here, 1, [period("2024-07", None, 750_000)], commune="84101", district="842"),
        schedule(there, 1, [period("2024-07", None, 750_000)], commune="84401", district="844"),
    )
    payroll = await generate(http, minter, ALLOWANCE, "2026-01")
    assert [x["recipient_id"] for x in await lines(http, minter, payroll, areas=("842",))] == [str(here)]
    assert {x["recipient_id"] for x in await lines(http, minter, payroll)} == {str(here), str(there)}
    r = await http.get(f"/payrolls/{payroll['id']}/lines", params={"commune_code": "84401"}, headers=maker(minter))
    assert [x["recipient_id"] for x in r.json()["items"]] == [str(there)]


async def test_approval_publishes_payroll_approved_with_the_control_totals(app, http, minter):
    await feed(app, schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)]))
    payroll = await run(http, minter, ALLOWANCE, "2026-01")
    async with app.state.sessionmaker() as s:
        from sqlalchemy import select

        outbox = EVENT_TABLES.outbox
        rows = await s.execute(select(outbox.c.type, outbox.c.envelope).where(outbox.c.subject == payroll["id"]))
        events = rows.all()
    assert [e.type for e in events] == [PAYROLL_APPROVED]
    data = events[0].envelope["data"]
    assert (data["line_count"], data["amount"], data["approved_by"]) == (1, 750_000, CHECKER)


async def test_payrolls_are_listed_newest_first(app, http, minter):
    await run(http, minter, ALLOWANCE, "2026-01")
    await generate(http, minter, ALLOWANCE, "2026-02")
    r = await http.get("/payrolls", params={"programme": ALLOWANCE, "limit": 1}, headers=maker(minter))
    assert [p["period"] for p in r.json()["items"]] == ["2026-02"]
    r = await http.get(
        "/payrolls", params={"programme": ALLOWANCE, "cursor": r.json()["next_cursor"]}, headers=maker(minter)
    )
    assert [p["period"] for p in r.json()["items"]] == ["2026-01"]


async def test_a_month_above_the_programmes_max_amount_stops_the_payroll_before_anyone_is_paid(app, http, minter):
    # 10 × the standard level per beneficiary and month by default: 5,000,000 in March 2026.
    normal, wrong = uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        schedule(normal, 1, [period("2024-07", None, 750_000)]),
        schedule(wrong, 1, [period("2024-07", None, 9_000_000_000)]),
    )
    r = await http.post("/payrolls", json={"programme": ALLOWANCE, "period": "2026-03"}, headers=maker(minter))
    assert (r.status_code, r.json()["type"]) == (409, "https://ansinh.gov.vn/problems/amount-over-limit"), r.text
    assert r.json()["over_limit"] == [
        {"recipient_id": str(wrong), "month": "2026-03", "entitled": 9_000_000_000, "max_amount": 5_000_000}
    ]
    listed = await http.get("/payrolls", params={"programme": ALLOWANCE}, headers=maker(minter))
    assert listed.json()["items"] == []
    # Once the amount is corrected, the payroll is generated.
    await feed(app, schedule(wrong, 2, [period("2024-07", None, 1_000_000)]))
    payroll = await generate(http, minter, ALLOWANCE, "2026-03")
    assert (payroll["totals"]["line_count"], payroll["totals"]["amount"]) == (2, 1_750_000)
