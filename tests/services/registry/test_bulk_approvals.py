"""``POST /applications/approvals``: many applications approved by a second client in one request, item by item."""

from __future__ import annotations

from sqlalchemy import select

from services.registry.models import EVENT_TABLES

from .test_beneficiaries import APPROVAL, CHECKER, apply, elderly, h


async def test_bulk_approval_approves_each_item_and_refuses_the_bad_ones_alone(app, http, minter):
    first, second, third, fourth = [await elderly(http, minter) for _ in range(4)]
    by_id = await apply(http, minter, first)
    await apply(http, minter, second)  # approved by person
    own = await http.post(  # submitted by the checker itself: maker-checker refuses it
        "/applications", json={"person_id": third, "categories": ["5.5a"]}, headers=h(minter, CHECKER)
    )
    assert own.status_code == 201, own.text
    await apply(http, minter, fourth, categories=("5.5b",))  # 5.5b exists from 2021-07 only
    items = [
        {**APPROVAL, "application_id": by_id},
        {**APPROVAL, "person_id": second, "number": "13/QĐ-UBND"},
        {**APPROVAL, "application_id": own.json()["id"]},
        {**APPROVAL, "person_id": fourth},
    ]
    r = await http.post("/applications/approvals", json={"items": items}, headers=h(minter, CHECKER))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["approved"], body["refused"]) == (2, 2)
    results = body["items"]
    assert [i["index"] for i in results] == [0, 1, 2, 3]
    assert [i["status"] for i in results] == [201, 201, 403, 422]
    assert results[2]["problem"]["type"].endswith("/maker-checker")
    assert results[3]["problem"]["errors"][0]["field"] == "body.items.3.categories.0"
    assert results[1]["application_id"] and results[1]["person_id"] == second

    for result, number in ((results[0], "12/QĐ-UBND"), (results[1], "13/QĐ-UBND")):
        b = await http.get(f"/beneficiaries/{result['beneficiary_id']}", headers=h(minter, CHECKER))
        assert b.status_code == 200 and b.json()["status"] == "active"
        assert b.json()["decisions"][0]["number"] == number
    r = await http.get(f"/applications/{own.json()['id']}", headers=h(minter, CHECKER))
    assert r.json()["status"] == "submitted"  # the refused item changed nothing

    # Approved like single approvals: an approval event and a computed schedule per beneficiary.
    async with app.state.sessionmaker() as s:
        types = (
            await s.execute(
                select(EVENT_TABLES.outbox.c.subject, EVENT_TABLES.outbox.c.type).where(
                    EVENT_TABLES.outbox.c.subject.in_([results[0]["beneficiary_id"], results[1]["beneficiary_id"]])
                )
            )
        ).all()
    assert sorted(t for _, t in types) == [
        "registry.beneficiary.approved.v1",
        "registry.beneficiary.approved.v1",
        "registry.beneficiary.entitlements_changed.v1",
        "registry.beneficiary.entitlements_changed.v1",
    ]

    # Sent again (no Idempotency-Key): nothing approved twice; the beneficiary is named.
    r = await http.post("/applications/approvals", json={"items": items[:2]}, headers=h(minter, CHECKER))
    assert r.status_code == 200 and r.json()["approved"] == 0
    again = r.json()["items"]
    assert [i["status"] for i in again] == [409, 409]
    assert again[0]["problem"]["existing"] == f"/registry/beneficiaries/{results[0]['beneficiary_id']}"
    assert again[1]["problem"]["existing"] == f"/registry/beneficiaries/{results[1]['beneficiary_id']}"


async def test_bulk_approval_replays_with_an_idempotency_key_and_rejects_a_malformed_body(http, minter):
    person = await elderly(http, minter)
    await apply(http, minter, person)
    headers = {**h(minter, CHECKER), "Idempotency-Key": "bulk-approval-1"}
    body = {"items": [{**APPROVAL, "person_id": person}]}
    first = await http.post("/applications/approvals", json=body, headers=headers)
    again = await http.post("/applications/approvals", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and first.json()["approved"] == 1

    r = await http.post(
        "/applications/approvals",
        json={"items": [{**APPROVAL, "person_id": person, "application_id": person}]},
        headers=h(minter, CHECKER),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"].startswith("body.items.0")
    r = await http.post("/applications/approvals", json={"items": []}, headers=h(minter, CHECKER))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.items"
    unknown = "00000000-0000-0000-0000-000000000001"
    r = await http.post(
        "/applications/approvals", json={"items": [{**APPROVAL, "person_id": unknown}]}, headers=h(minter, CHECKER)
    )
    assert r.status_code == 200 and r.json()["items"][0]["status"] == 404
    assert r.json()["items"][0]["problem"]["field"] == "body.items.0.person_id"


async def test_an_application_outside_the_checkers_areas_reads_as_no_such_person(http, minter):
    from datetime import date

    from .test_persons import national_id

    far = {"client_id": "officer-992", "areas": ("992",)}
    dob = date(1940, 2, 2)
    r = await http.post(
        "/persons",
        json={
            "full_name": "Lê Văn Xa",
            "date_of_birth": dob.isoformat(),
            "sex": "male",
            "national_id": national_id(dob, "male"),
            "commune_code": "99201",
        },
        headers=h(minter, far),
    )
    assert r.status_code == 201, r.text
    person = r.json()["id"]
    r = await http.post("/applications", json={"person_id": person, "categories": ["5.5c"]}, headers=h(minter, far))
    assert r.status_code == 201, r.text
    application = r.json()["id"]
    r = await http.post(  # the checker of district 991 sees neither the person nor the application
        "/applications/approvals",
        json={"items": [{**APPROVAL, "person_id": person}, {**APPROVAL, "application_id": application}]},
        headers=h(minter, CHECKER),
    )
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["status"] for i in items] == [404, 404]
    assert items[0]["application_id"] is None and items[0]["problem"]["field"] == "body.items.0.person_id"
    r = await http.get(f"/applications/{application}", headers=h(minter, far))
    assert r.json()["status"] == "submitted"


async def test_an_application_listed_twice_in_one_request_is_approved_once(app, http, minter):
    person, other = await elderly(http, minter), await elderly(http, minter)
    application = await apply(http, minter, person)
    refused = await apply(http, minter, other, categories=("5.5b",))  # refused (5.5b exists from 2021-07 only) …
    items = [
        {**APPROVAL, "application_id": application},
        {**APPROVAL, "person_id": other},
        {**APPROVAL, "application_id": application, "number": "14/QĐ-UBND"},
        {**APPROVAL, "person_id": other},  # … each time it is listed, and nothing of it is kept
    ]
    r = await http.post("/applications/approvals", json={"items": items}, headers=h(minter, CHECKER))
    assert r.status_code == 200, r.text
    results = r.json()["items"]
    assert [i["status"] for i in results] == [201, 422, 409, 422]
    assert results[2]["problem"]["existing"] == f"/registry/beneficiaries/{results[0]['beneficiary_id']}"
    b = await http.get(f"/beneficiaries/{results[0]['beneficiary_id']}", headers=h(minter, CHECKER))
    assert [d["number"] for d in b.json()["decisions"]] == ["12/QĐ-UBND"]
    r = await http.get(f"/applications/{refused}", headers=h(minter, CHECKER))
    assert r.json()["status"] == "submitted"
