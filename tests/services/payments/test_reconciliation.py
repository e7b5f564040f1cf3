"""Reconciliation: exceptions for officers (never silently fixed), unpaid amounts carried to the next payroll, three
unpaid months in a row."""

import uuid

from sqlalchemy import select, text

from services.payments.events import UNPAID_3_MONTHS
from services.payments.models import EVENT_TABLES

from .helpers import (
    account_from,
    approve,
    batches,
    checker,
    feed,
    generate,
    line_of,
    lines,
    maker,
    paid,
    partner,
    period,
    run,
    schedule,
    unpaid,
)

ALLOWANCE = "monthly_allowance"


async def exceptions(http, minter, **params):
    r = await http.get("/exceptions", params={"limit": 100, **params}, headers=maker(minter))
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_each_kind_of_exception_is_raised_for_an_officer_and_resolved_with_a_note(app, http, minter):
    people = [uuid.uuid4() for _ in range(4)]
    await feed(app, *(schedule(b, 1, [period("2024-07", None, 750_000)]) for b in people))
    payroll = await run(http, minter, ALLOWANCE, "2026-03")
    batch = (await batches(http, minter, payroll))["84101"]
    a, b, c, d = await lines(http, minter, payroll)
    stranger = str(uuid.uuid4())
    r = await http.post(
        f"/batches/{batch['id']}/results",
        headers=partner(minter),
        json={"results": [paid(a, amount=700_000), paid(b), paid({"id": stranger, "total": 750_000})]},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["recorded"], out["unknown_lines"], out["exceptions"]) == (2, 1, 2)
    assert {(i["line_id"], i["status"], tuple(i["exception_kinds"])) for i in out["items"]} == {
        (a["id"], "recorded", ("amount_mismatch",)),
        (stranger, "unknown_line", ("unknown_line",)),
    }
    # The same result again is not an exception; a different one is, and the first stands.
    r = await http.post(
        f"/batches/{batch['id']}/results", headers=partner(minter), json={"results": [paid(b), unpaid(b)]}
    )
    assert r.status_code == 422  # one line twice in one report
    r = await http.post(f"/batches/{batch['id']}/results", headers=partner(minter), json={"results": [paid(b)]})
    assert (r.json()["unchanged"], r.json()["exceptions"]) == (1, 0)
    r = await http.post(
        f"/batches/{batch['id']}/results", headers=partner(minter), json={"results": [unpaid(b, "Đi vắng")]}
    )
    assert (r.json()["conflicts"], r.json()["batch"]["paid_count"]) == (1, 2)

    # After the deadline (the 20th), lines without a result.
    r = await http.post("/reconciliation/run", params={"on": "2026-03-20"}, headers=maker(minter))
    assert r.json()["missing_results"] == 0  # due by the 20th: not missing yet
    r = await http.post("/reconciliation/run", params={"on": "2026-03-21"}, headers=maker(minter))
    assert (r.json()["missing_results"], r.json()["batches"]) == (2, 1)
    r = await http.post("/reconciliation/run", params={"on": "2026-03-22"}, headers=maker(minter))
    assert r.json()["missing_results"] == 0  # once per line

    found = await exceptions(http, minter)
    by_kind = {}
    for e in found:
        by_kind.setdefault(e["kind"], []).append(e)
    assert sorted((k, len(v)) for k, v in by_kind.items()) == [
        ("amount_mismatch", 1),
        ("missing_result", 2),
        ("reported_twice", 1),
        ("unknown_line", 1),
    ]
    mismatch = by_kind["amount_mismatch"][0]
    assert (mismatch["line_id"], mismatch["expected"], mismatch["reported"]) == (a["id"], 750_000, 700_000)
    assert mismatch["detail"]["difference"] == -50_000
    twice = by_kind["reported_twice"][0]
    assert twice["detail"]["stands"]["outcome"] == "paid" and twice["detail"]["reported"]["outcome"] == "unpaid"
    assert {e["line_id"] for e in by_kind["missing_result"]} == {c["id"], d["id"]}
    assert by_kind["unknown_line"][0]["line_id"] == stranger
    # Never silently fixed: the ledger has what was reported.
    report = (await http.get("/ledger/totals", params={"year": 2026}, headers=maker(minter))).json()["total"]
    assert report["paid"] == 700_000 + 750_000

    r = await http.post(
        f"/exceptions/{mismatch['id']}/resolve",
        json={"note": "Bưu điện chi thiếu, đã chi bù 50.000"},
        headers=maker(minter),
    )
    assert r.status_code == 200 and (r.json()["status"], r.json()["resolved_by"]) == ("resolved", "officer-maker")
    again = await http.post(f"/exceptions/{mismatch['id']}/resolve", json={"note": "lần hai"}, headers=maker(minter))
    assert again.status_code == 409
    assert len(await exceptions(http, minter)) == 4
    assert len(await exceptions(http, minter, status="resolved")) == 1
    outside = await http.get("/exceptions", headers=maker(minter, areas=("844",)))
    assert outside.json()["items"] == []


async def test_unpaid_amounts_are_carried_once_into_the_next_payroll(app, http, minter):
    away, home = uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        schedule(away, 1, [period("2024-07", None, 750_000)]),
        schedule(home, 1, [period("2024-07", None, 1_000_000)]),
    )
    march = await run(http, minter, ALLOWANCE, "2026-03")
    batch = (await batches(http, minter, march))["84101"]
    away_line = await line_of(http, minter, march, away)
    home_line = await line_of(http, minter, march, home)
    r = await http.post(
        f"/batches/{batch['id']}/results",
        headers=partner(minter),
        json={"results": [unpaid(away_line), paid(home_line)]},
    )
    assert r.status_code == 200, r.text
    april = await generate(http, minter, ALLOWANCE, "2026-04")
    line = await line_of(http, minter, april, away)
    assert (line["regular"], line["carried"], line["total"]) == (750_000, 750_000, 1_500_000)
    assert (await line_of(http, minter, april, home))["carried"] == 0
    assert april["totals"]["carried"] == 750_000
    assert april["totals"]["amount"] == 1_500_000 + 1_000_000
    # Regenerating carries it again (not yet carried by an approved payroll); approval marks it carried.
    r = await http.post(f"/payrolls/{april['id']}/regenerate", headers=maker(minter))
    assert r.json()["totals"]["carried"] == 750_000
    april = await approve(http, minter, r.json())
    may = await generate(http, minter, ALLOWANCE, "2026-05")
    assert may["totals"]["carried"] == 0
    april_batch = (await batches(http, minter, april))["84101"]
    assert april_batch["amount"] == 2_500_000
    # The ledger: +carried when reported unpaid, −carried when a payroll takes it in; issued counted once.
    report = (await http.get("/ledger/totals", params={"year": 2026}, headers=maker(minter))).json()["total"]
    assert report["carried"] == 0
    assert report["issued"] == 2 * (750_000 + 1_000_000)
    assert report["paid"] == 1_000_000


async def test_a_line_with_only_a_carried_amount_is_paid(app, http, minter):
    stopped = uuid.uuid4()
    await feed(app, schedule(stopped, 1, [period("2024-07", None, 750_000)]))
    march = await run(http, minter, ALLOWANCE, "2026-03")
    line = await line_of(http, minter, march, stopped)
    batch = (await batches(http, minter, march))["84101"]
    await http.post(f"/batches/{batch['id']}/results", headers=partner(minter), json={"results": [unpaid(line)]})
    await feed(
        app, schedule(stopped, 2, [period("2024-07", "2026-03", 750_000)], status="terminated", computed_from="2026-04")
    )
    april = await generate(http, minter, ALLOWANCE, "2026-04")
    line = await line_of(http, minter, april, stopped)
    assert (line["regular"], line["carried"], line["total"]) == (0, 750_000, 750_000)


async def test_three_consecutive_unpaid_months_are_announced_once(app, http, minter):
    away, other = uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        schedule(away, 1, [period("2024-07", None, 750_000)]),
        schedule(other, 1, [period("2024-07", None, 750_000)]),
    )
    months = ("2026-01", "2026-02", "2026-03", "2026-04")
    for month in months:
        payroll = await run(http, minter, ALLOWANCE, month)
        batch = (await batches(http, minter, payroll))["84101"]
        mine = await line_of(http, minter, payroll, away)
        theirs = await line_of(http, minter, payroll, other)
        results = [unpaid(mine), paid(theirs) if month == "2026-02" else unpaid(theirs)]
        r = await http.post(f"/batches/{batch['id']}/results", headers=partner(minter), json={"results": results})
        assert r.status_code == 200, r.text
    async with app.state.sessionmaker() as s:
        t = EVENT_TABLES.outbox
        rows = (await s.execute(select(t.c.subject, t.c.envelope).where(t.c.type == UNPAID_3_MONTHS))).all()
    assert [r.subject for r in rows] == [str(away)]  # the other was paid in February; a fourth month adds nothing
    data = rows[0].envelope["data"]
    assert data["periods"] == ["2026-01", "2026-02", "2026-03"] and data["suspend_from"] == "2026-04"
    assert data["beneficiary_id"] == str(away) and data["programme"] == ALLOWANCE
    # January 750,000; February and March carried the earlier months on top: what was not received is March's line
    # (2,250,000), not the sum of the three line totals (each VND counted once).
    assert data["amount_not_received"] == 2_250_000
    assert data["commune_code"] == "84101"


async def test_a_returned_month_counts_once_in_the_amount_not_received(app, http, minter):
    away = uuid.uuid4()
    await feed(app, schedule(away, 1, [period("2024-07", None, 750_000)]))
    for month, outcome in (("2026-01", "unpaid"), ("2026-02", "returned"), ("2026-03", "unpaid")):
        payroll = await run(http, minter, ALLOWANCE, month)
        batch = (await batches(http, minter, payroll))["84101"]
        line = await line_of(http, minter, payroll, away)
        result = (
            unpaid(line)
            if outcome == "unpaid"
            else {"line_id": line["id"], "outcome": "returned", "reason": "Chuyển đi nơi khác"}
        )
        r = await http.post(f"/batches/{batch['id']}/results", headers=partner(minter), json={"results": [result]})
        assert r.status_code == 200, r.text
    async with app.state.sessionmaker() as s:
        t = EVENT_TABLES.outbox
        rows = (await s.execute(select(t.c.envelope).where(t.c.type == UNPAID_3_MONTHS))).all()
    # January (750,000) went back with February's line (1,500,000); March is not carried: 2,250,000, not 3,000,000.
    assert [r.envelope["data"]["amount_not_received"] for r in rows] == [2_250_000]


async def _carried_by(app, line_id):
    async with app.state.sessionmaker() as s:
        return await s.scalar(
            text("SELECT carried_payroll_id FROM payments.line_results WHERE line_id = :id"), {"id": line_id}
        )


async def test_an_unpaid_amount_of_a_recipient_missing_from_the_projection_waits_for_its_return(app, http, minter):
    away, other = uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        schedule(away, 1, [period("2024-07", None, 750_000)]),
        schedule(other, 1, [period("2024-07", None, 750_000)]),
    )
    march = await run(http, minter, ALLOWANCE, "2026-03")
    line = await line_of(http, minter, march, away)
    batch = (await batches(http, minter, march))["84101"]
    r = await http.post(f"/batches/{batch['id']}/results", headers=partner(minter), json={"results": [unpaid(line)]})
    assert r.status_code == 200, r.text
    # A rebuild of the projection has emptied it and not yet replayed this beneficiary.
    async with app.state.sessionmaker() as s:
        await s.execute(text("DELETE FROM payments.beneficiaries WHERE id = :id"), {"id": away})
        await s.commit()
    april = await run(http, minter, ALLOWANCE, "2026-04")
    assert await line_of(http, minter, april, away) is None
    assert await _carried_by(app, line["id"]) is None  # not carried: nobody was paid it
    report = (await http.get("/ledger/totals", params={"year": 2026}, headers=maker(minter))).json()["total"]
    assert report["carried"] == 750_000  # still waiting for a payroll
    # The beneficiary is back: the next payroll carries the March amount.
    await feed(app, schedule(away, 1, [period("2024-07", None, 750_000)]))
    may = await approve(http, minter, await generate(http, minter, ALLOWANCE, "2026-05"))
    back = await line_of(http, minter, may, away)
    assert back["carried"] == 750_000
    assert str(await _carried_by(app, line["id"])) == may["id"]


async def test_a_payroll_is_not_approved_when_unpaid_results_arrived_since_its_generation(app, http, minter):
    await account_from(http, minter, ALLOWANCE, "2026-03")
    b = uuid.uuid4()
    await feed(app, schedule(b, 1, [period("2024-07", None, 750_000)]))
    march = await run(http, minter, ALLOWANCE, "2026-03")
    march_line = await line_of(http, minter, march, b)
    await feed(app, schedule(b, 2, [period("2024-07", "2026-02", 750_000)], status="deceased", death_date="2026-02-15"))
    april = await generate(http, minter, ALLOWANCE, "2026-04")
    assert (await line_of(http, minter, april, b))["to_recover"] == 750_000  # March was paid after the death
    # The post office's March result (not paid: the person had died) arrives after April was generated.
    batch = (await batches(http, minter, march))["84101"]
    r = await http.post(
        f"/batches/{batch['id']}/results", headers=partner(minter), json={"results": [unpaid(march_line, "Đã chết")]}
    )
    assert r.status_code == 200, r.text
    r = await http.post(f"/payrolls/{april['id']}/review", headers=maker(minter))
    assert r.status_code == 200, r.text
    r = await http.post(f"/payrolls/{april['id']}/approve", headers=checker(minter))
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].rsplit("/", 1)[1] == "payroll-stale"
    assert r.json()["detail"].startswith("results arrived since generation; regenerate")
    # Regenerated, April carries the unpaid March amount against the March recovery: nothing to pay, nothing owed.
    r = await http.post(f"/payrolls/{april['id']}/regenerate", headers=maker(minter))
    assert r.status_code == 200, r.text
    line = await line_of(http, minter, r.json(), b)
    assert (line["recovery"], line["carried"], line["total"], line["to_recover"]) == (-750_000, 750_000, 0, 0)
    await approve(http, minter, r.json())
    may = await generate(http, minter, ALLOWANCE, "2026-05")
    assert (await line_of(http, minter, may, b)) is None
    report = (await http.get("/ledger/totals", params={"year": 2026}, headers=maker(minter))).json()["total"]
    assert (report["carried"], report["to_recover"]) == (0, 0)


async def _three_unpaid_months_then_suspended(app, http, minter, away):
    """January to March of 750,000 not collected (each line carrying the months before), then the registry
    suspends from April (its schedule stops with March)."""
    await feed(app, schedule(away, 1, [period("2024-07", None, 750_000)]))
    for month in ("2026-01", "2026-02", "2026-03"):
        payroll = await run(http, minter, ALLOWANCE, month)
        batch = (await batches(http, minter, payroll))["84101"]
        line = await line_of(http, minter, payroll, away)
        r = await http.post(
            f"/batches/{batch['id']}/results", headers=partner(minter), json={"results": [unpaid(line)]}
        )
        assert r.status_code == 200, r.text
    assert line["total"] == 2_250_000  # March's line carried January and February
    await feed(
        app, schedule(away, 2, [period("2024-07", "2026-03", 750_000)], status="suspended", computed_from="2026-04")
    )
    return line


async def _ledger(http, minter):
    r = await http.get("/ledger/totals", params={"year": 2026, "by": "commune"}, headers=maker(minter))
    assert r.status_code == 200, r.text
    return r.json()["total"]


async def test_a_suspended_beneficiary_gets_no_line_and_the_carried_money_is_held_then_paid_on_reinstatement(
    app, http, minter
):
    away, other = uuid.uuid4(), uuid.uuid4()
    await feed(app, schedule(other, 1, [period("2024-07", None, 1_000_000)]))
    march_line = await _three_unpaid_months_then_suspended(app, http, minter, away)

    april = await run(http, minter, ALLOWANCE, "2026-04")
    assert await line_of(http, minter, april, away) is None  # no line, not even the carried months
    assert april["totals"]["carried"] == 0 and april["totals"]["amount"] == 1_000_000
    batch = (await batches(http, minter, april))["84101"]
    assert (batch["line_count"], batch["amount"]) == (1, 1_000_000)  # nothing of it reaches the pay point
    ledger = await _ledger(http, minter)
    assert (ledger["held"], ledger["carried"]) == (2_250_000, 0)
    csv_text = (await http.get("/ledger/totals", params={"year": 2026, "format": "csv"}, headers=maker(minter))).text
    header, *_, total = csv_text.lstrip("\ufeff").splitlines()
    assert "Tạm giữ" in header and "2250000" in total.split(",")
    assert await _carried_by(app, march_line["id"]) is None

    # Still suspended in May: still no line, and the held money is not held a second time.
    may = await run(http, minter, ALLOWANCE, "2026-05")
    assert await line_of(http, minter, may, away) is None
    assert (await _ledger(http, minter))["held"] == 2_250_000  # held once, not again by May

    # Reinstated from June: June's line pays the month and the held money.
    await feed(
        app,
        schedule(
            away, 3, [period("2024-07", "2026-03", 750_000), period("2026-06", None, 750_000)], computed_from="2026-04"
        ),
    )
    june = await run(http, minter, ALLOWANCE, "2026-06")
    line = await line_of(http, minter, june, away)
    assert (line["regular"], line["carried"], line["total"]) == (750_000, 2_250_000, 3_000_000)
    assert str(await _carried_by(app, march_line["id"])) == june["id"]
    ledger = await _ledger(http, minter)
    assert (ledger["held"], ledger["carried"], ledger["returned"]) == (0, 0, 0)
    july = await generate(http, minter, ALLOWANCE, "2026-07")
    assert (await line_of(http, minter, july, away))["carried"] == 0  # carried once


async def test_the_money_held_for_a_suspended_beneficiary_is_returned_to_the_budget_on_termination(app, http, minter):
    away = uuid.uuid4()
    march_line = await _three_unpaid_months_then_suspended(app, http, minter, away)
    april = await run(http, minter, ALLOWANCE, "2026-04")
    assert await line_of(http, minter, april, away) is None
    assert (await _ledger(http, minter))["held"] == 2_250_000
    # Still not collecting three months after the suspension: terminated.
    await feed(
        app, schedule(away, 3, [period("2024-07", "2026-03", 750_000)], status="terminated", computed_from="2026-04")
    )
    may = await run(http, minter, ALLOWANCE, "2026-05")
    assert await line_of(http, minter, may, away) is None
    ledger = await _ledger(http, minter)
    assert (ledger["held"], ledger["carried"], ledger["returned"]) == (0, 0, 2_250_000)
    assert await _carried_by(app, march_line["id"]) is None
    june = await run(http, minter, ALLOWANCE, "2026-06")
    assert await line_of(http, minter, june, away) is None
    assert (await _ledger(http, minter))["returned"] == 2_250_000  # returned once
