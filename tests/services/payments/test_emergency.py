"""Emergency relief: an officer's decision at least at the minimum in force, approved by another client, the cash
paid through the post office by the emergency payroll, food as rice in kind, and the year's report."""

from datetime import date

from common import clock

from .helpers import CHECKER, batches, checker, lines, maker, paid, partner, run

BASE = {
    "recipient_name": "Nguyễn Văn Bão",
    "commune_code": "29242",
    "disaster": "Bão số 9 (11/2026)",
    "occurred_on": "2026-11-02",
    "decision": "QĐ 45/QĐ-UBND",
}


async def decide(http, minter, **body):
    return await http.post("/emergency-reliefs", json={**BASE, **body}, headers=maker(minter))


async def approve(http, minter, relief, **kw):
    return await http.post(f"/emergency-reliefs/{relief['id']}/approve", headers=checker(minter, **kw))


async def test_amounts_are_at_least_the_minimum_in_force_and_food_is_rice(app, http, minter):
    with clock.frozen(date(2026, 11, 20)):
        r = await decide(http, minter, kind="house_destroyed", amount=39_999_999)
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.amount")
        # The funeral minimum follows the standard level: 50 × 360,000 in 2023, 50 × 500,000 from 2024-07.
        r = await decide(http, minter, kind="funeral", amount=20_000_000, occurred_on="2023-10-01")
        assert r.status_code == 201, r.text
        r = await decide(http, minter, kind="funeral", amount=20_000_000)
        assert r.status_code == 422
        r = await decide(http, minter, kind="food", amount=1_000_000, persons=4, months=3)
        assert r.status_code == 422
        food = await decide(http, minter, kind="food", persons=4, months=3)
        assert food.status_code == 201, food.text
        assert (food.json()["rice_kg"], food.json()["amount"], food.json()["status"]) == (180, 0, "decided")
        assert (
            await decide(http, minter, kind="injury", amount=5_000_000, occurred_on="2026-12-01")
        ).status_code == 422  # not yet happened
        r = await http.post(
            "/emergency-reliefs",
            json={**BASE, "kind": "injury", "amount": 5_000_000},
            headers=maker(minter, areas=("844",)),
        )
        assert r.status_code == 403


async def test_approved_by_another_client_then_paid_through_the_post_office_and_reported(app, http, minter):
    with clock.frozen(date(2026, 11, 20)):
        house = (await decide(http, minter, kind="house_destroyed", amount=45_000_000)).json()
        injury = (await decide(http, minter, kind="injury", amount=5_000_000, recipient_name="Lê Thị Thương")).json()
        food = (await decide(http, minter, kind="food", persons=5, months=2)).json()
        unapproved = (await decide(http, minter, kind="relocation", amount=30_000_000)).json()
        # Nothing is paid before approval.
        empty = await run(http, minter, "emergency", "2026-11")
        assert empty["totals"]["line_count"] == 0
        r = await http.post(
            f"/emergency-reliefs/{house['id']}/approve",
            headers=minter.headers("payments:approve", client_id="officer-maker"),
        )
        assert r.status_code == 403 and r.json()["type"].endswith("/maker-checker")
        for relief in (house, injury, food):
            r = await approve(http, minter, relief)
            assert r.status_code == 200, r.text
            assert (r.json()["status"], r.json()["approved_by"]) == ("approved", CHECKER)
        again = await approve(http, minter, house)
        assert again.status_code == 409 and again.json()["type"].endswith("/relief-approved")
        read = (await http.get(f"/emergency-reliefs/{food['id']}", headers=maker(minter))).json()
        assert (read["one_off_payment_id"], read["rice_kg"]) == (None, 150)

    with clock.frozen(date(2026, 12, 20)):
        december = await run(http, minter, "emergency", "2026-12")
        assert (december["totals"]["line_count"], december["totals"]["amount"]) == (2, 50_000_000)
        by_name = {x["recipient_name"]: x for x in await lines(http, minter, december)}
        batch = (await batches(http, minter, december))["29242"]
        r = await http.post(
            f"/batches/{batch['id']}/results",
            json={
                "results": [
                    paid(by_name["Nguyễn Văn Bão"], paid_on="2026-12-05"),
                    {
                        "line_id": by_name["Lê Thị Thương"]["id"],
                        "outcome": "unpaid",
                        "reason": "Đang điều trị tại bệnh viện",
                    },
                ]
            },
            headers=partner(minter),
        )
        assert r.status_code == 200, r.text
        report = (await http.get("/reports/emergency", params={"year": 2026}, headers=maker(minter))).json()
        kinds = {k["kind"]: k for k in report["kinds"]}
        assert {
            k: kinds["house_destroyed"][k] for k in ("approved", "amount_approved", "cash_issued", "cash_paid")
        } == {"approved": 1, "amount_approved": 45_000_000, "cash_issued": 45_000_000, "cash_paid": 45_000_000}
        assert (kinds["injury"]["cash_issued"], kinds["injury"]["cash_paid"]) == (5_000_000, 0)
        assert (kinds["food"]["approved"], kinds["food"]["rice_kg"], kinds["food"]["cash_issued"]) == (1, 150, 0)
        assert (kinds["relocation"]["decided"], kinds["relocation"]["approved"]) == (1, 0)
        assert kinds["funeral"] == {
            "kind": "funeral",
            "decided": 0,
            "approved": 0,
            "amount_approved": 0,
            "cash_issued": 0,
            "cash_paid": 0,
            "rice_kg": 0,
        }
        ledger = (
            await http.get("/ledger/totals", params={"year": 2026, "programme": "emergency"}, headers=maker(minter))
        ).json()["rows"]
        assert sum(row["paid"] for row in ledger) == sum(k["cash_paid"] for k in kinds.values())
        page = (
            await http.get("/emergency-reliefs", params={"year": 2026, "status": "decided"}, headers=maker(minter))
        ).json()
        assert [x["id"] for x in page["items"]] == [unapproved["id"]]
