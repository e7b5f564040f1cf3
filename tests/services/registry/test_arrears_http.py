"""POST /beneficiaries/{id}/arrears: entitled against paid per month, arrears and recoveries kept apart."""

from __future__ import annotations

from .test_beneficiaries import CHECKER, approved, h

READ = {"client_id": "payments", "areas": ("99",)}


async def test_retroactive_rate_and_payments_after_death(http, minter):
    body = await approved(http, minter)  # 5.5a, born 1944-05-10: 2.0 × standard level since 2024-05
    r = await http.post(
        f"/beneficiaries/{body['id']}/decisions",
        json={"kind": "record_death", "death_date": "2026-08-20", "number": "KT-1"},
        headers={**h(minter, CHECKER), "If-Match": '"1"'},
    )
    assert r.status_code == 201, r.text
    # Paid at the old 500,000 level for July and August 2026, and paid on for September and October.
    paid = [{"month": m, "amount": 1_000_000} for m in ("2026-07", "2026-08", "2026-09", "2026-10")]
    r = await http.post(
        f"/beneficiaries/{body['id']}/arrears",
        json={"from": "2026-06", "to": "2026-10", "paid": paid},
        headers=minter.headers("registry:read", **READ),
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert [(m["month"], m["entitled"], m["paid"], m["difference"], m["kind"], m["reason"]) for m in out["months"]] == [
        ("2026-06", 1_000_000, 0, 1_000_000, "arrears", None),
        ("2026-07", 1_080_000, 1_000_000, 80_000, "arrears", None),
        ("2026-08", 1_080_000, 1_000_000, 80_000, "arrears", None),
        ("2026-09", 0, 1_000_000, -1_000_000, "recovery", "deceased"),
        ("2026-10", 0, 1_000_000, -1_000_000, "recovery", "deceased"),
    ]
    assert (out["entitled"], out["paid"], out["to_pay"], out["to_recover"]) == (
        3_160_000,
        4_000_000,
        1_160_000,
        2_000_000,
    )
    assert (out["from"], out["to"], out["beneficiary_id"]) == ("2026-06", "2026-10", body["id"])


async def test_bad_input_and_areas(http, minter):
    body = await approved(http, minter)
    url = f"/beneficiaries/{body['id']}/arrears"
    read = minter.headers("registry:read", **READ)
    r = await http.post(
        url,
        json={
            "from": "2026-06",
            "to": "2026-07",
            "paid": [
                {"month": "2026-05", "amount": 1},
                {"month": "2026-06", "amount": 1},
                {"month": "2026-06", "amount": 2},
            ],
        },
        headers=read,
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["body.paid.0.month", "body.paid.2.month"]
    r = await http.post(url, json={"from": "2026-07", "to": "2026-06", "paid": []}, headers=read)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.to"
    r = await http.post(
        url, json={"from": "2026-06", "to": "2026-07", "paid": [{"month": "2026-06", "amount": -5}]}, headers=read
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.paid.0.amount"
    r = await http.post(
        url,
        json={"from": "2026-06", "to": "2026-07", "paid": []},
        headers=minter.headers("registry:read", areas=("992",)),
    )
    assert r.status_code == 404
