"""The daily reconciliation sweep: the same missing results as ``POST /reconciliation/run``, once per line."""

import uuid
from datetime import date

from common.testing import app_client
from services.payments.app import create_app
from services.payments.reconciliation import daily
from services.payments.settings import PaymentsSettings

from .helpers import batches, feed, lines, maker, paid, partner, period, run, schedule

ALLOWANCE = "monthly_allowance"


async def test_the_daily_run_flags_what_the_endpoint_flags(app, http, minter):
    people = [uuid.uuid4() for _ in range(3)]
    await feed(app, *(schedule(b, 1, [period("2024-07", None, 750_000)]) for b in people))
    payroll = await run(http, minter, ALLOWANCE, "2026-03")
    batch = (await batches(http, minter, payroll))["84101"]
    a, b, c = await lines(http, minter, payroll)
    r = await http.post(f"/batches/{batch['id']}/results", headers=partner(minter), json={"results": [paid(a)]})
    assert r.status_code == 200, r.text

    # On the deadline nothing is missing yet; the day after, the two lines without a result.
    assert await daily.run_once(app.state.sessionmaker, date(2026, 3, 20)) == {
        "on": "2026-03-20",
        "missing_results": 0,
        "batches": 0,
    }
    assert await daily.run_once(app.state.sessionmaker, date(2026, 3, 21)) == {
        "on": "2026-03-21",
        "missing_results": 2,
        "batches": 1,
    }
    r = await http.get("/exceptions", params={"kind": "missing_result", "batch": batch["id"]}, headers=maker(minter))
    found = r.json()["items"]
    assert {e["line_id"] for e in found} == {b["id"], c["id"]}
    assert {e["created_by"] for e in found} == {"payments-daily"}
    # The endpoint, the same day or later, finds nothing more; nor does the next daily run.
    r = await http.post("/reconciliation/run", params={"on": "2026-03-21"}, headers=maker(minter))
    assert (r.json()["missing_results"], r.json()["batches"]) == (0, 0)
    assert (await daily.run_once(app.state.sessionmaker, date(2026, 3, 22)))["missing_results"] == 0


async def test_the_endpoint_and_the_daily_run_agree_on_a_fresh_batch(app, http, minter):
    # Run by the endpoint first: the daily run then adds nothing (and the other way round in the test above).
    person = uuid.uuid4()
    await feed(app, schedule(person, 1, [period("2024-07", None, 750_000)]))
    payroll = await run(http, minter, ALLOWANCE, "2026-03")
    [line] = [x for x in await lines(http, minter, payroll) if x["recipient_id"] == str(person)]
    r = await http.post("/reconciliation/run", params={"on": "2026-03-25"}, headers=maker(minter))
    assert r.json()["missing_results"] >= 1
    assert (await daily.run_once(app.state.sessionmaker, date(2026, 3, 25)))["missing_results"] == 0
    r = await http.get("/exceptions", params={"kind": "missing_result"}, headers=maker(minter))
    assert [e["created_by"] for e in r.json()["items"] if e["line_id"] == line["id"]] == ["officer-maker"]


async def test_the_daily_run_lives_with_the_app_and_can_be_switched_off(test_db, minter):
    on = create_app(PaymentsSettings(database_url=test_db.urls["payments"]))
    async with app_client(on, keys=minter):
        task = on.state.reconciliation_task
        assert task is not None and not task.done()
    assert task.done()
    off = create_app(PaymentsSettings(database_url=test_db.urls["payments"], reconciliation_daily=False))
    async with app_client(off, keys=minter):
        assert off.state.reconciliation_task is None


def test_the_settings_default_to_six_in_the_morning():
    from datetime import time

    settings = PaymentsSettings(database_url="postgresql://x@localhost/x")
    assert (settings.reconciliation_daily, settings.reconciliation_at) == (True, time(6, 0))
