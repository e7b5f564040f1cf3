"""Applications, beneficiaries, decisions and entitlements of the registry, on real PostgreSQL (rolled back)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.registry.models import EVENT_TABLES

from .test_persons import national_id

WRITE = ("registry:read", "registry:write")
MAKER = {"client_id": "commune-officer", "areas": ("991",)}
CHECKER = {"client_id": "district-chairman", "areas": ("991",)}
APPROVAL = {
    "number": "12/QĐ-UBND",
    "signed_on": "2021-01-15",
    "authority": "Chủ tịch UBND huyện Thử",
    "effective_month": "2021-01",
}


def h(minter, who):
    return minter.headers(*WRITE, **who)


async def elderly(http, minter) -> str:
    from datetime import date

    dob = date(1944, 5, 10)
    body = {
        "full_name": "Trần Văn Ba",
        "date_of_birth": dob.isoformat(),
        "sex": "male",
        "national_id": national_id(dob, "male"),
        "commune_code": "99101",
    }
    r = await http.post("/persons", json=body, headers=h(minter, MAKER))
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def apply(http, minter, person_id, categories=("5.5a",)) -> str:
    r = await http.post(
        "/applications",
        json={"person_id": person_id, "categories": list(categories), "note": "hồ sơ"},
        headers=h(minter, MAKER),
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "submitted"
    return r.json()["id"]


async def approved(http, minter) -> dict:
    person_id = await elderly(http, minter)
    application_id = await apply(http, minter, person_id)
    r = await http.post(f"/applications/{application_id}/approve", json=APPROVAL, headers=h(minter, CHECKER))
    assert r.status_code == 201, r.text
    return r.json()


async def test_maker_checker_approval_creates_beneficiary_decision_and_event(app, http, minter):
    person_id = await elderly(http, minter)
    application_id = await apply(http, minter, person_id)
    r = await http.post(f"/applications/{application_id}/approve", json=APPROVAL, headers=h(minter, MAKER))
    assert r.status_code == 403 and "maker-checker" in r.json()["detail"]

    r = await http.post(f"/applications/{application_id}/approve", json=APPROVAL, headers=h(minter, CHECKER))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "active" and body["categories"] == ["5.5a"] and r.headers["etag"] == '"1"'
    assert [d["kind"] for d in body["decisions"]] == ["approve"]
    assert body["decisions"][0]["effective_month"] == "2021-01"

    async with app.state.sessionmaker() as s:
        outbox = (
            (
                await s.execute(
                    select(EVENT_TABLES.outbox).where(
                        EVENT_TABLES.outbox.c.subject == body["id"],
                        EVENT_TABLES.outbox.c.type != "registry.beneficiary.entitlements_changed.v1",
                    )
                )
            )
            .mappings()
            .all()
        )
    assert len(outbox) == 1
    event = outbox[0]["envelope"] if "envelope" in outbox[0] else dict(outbox[0])
    assert event["type"] == "registry.beneficiary.approved.v1"
    assert event["data"] == {
        "beneficiary_id": body["id"],
        "person_id": person_id,
        "categories": ["5.5a"],
        "effective_month": "2021-01",
        "decision_number": "12/QĐ-UBND",
        "date_of_birth": "1944-05-10",
        "commune_code": "99101",
        "district_code": "991",
        "province_code": "99",
    }

    r = await http.get(f"/applications/{application_id}", headers=h(minter, CHECKER))
    assert r.json()["status"] == "approved" and r.json()["decided_by"] == "district-chairman"
    r = await http.post(f"/applications/{application_id}/approve", json=APPROVAL, headers=h(minter, CHECKER))
    assert r.status_code == 409


async def test_a_person_is_a_beneficiary_only_once(http, minter):
    body = await approved(http, minter)
    second = await apply(http, minter, body["person_id"])
    r = await http.post(f"/applications/{second}/approve", json=APPROVAL, headers=h(minter, CHECKER))
    assert r.status_code == 409 and r.json()["existing"] == f"/registry/beneficiaries/{body['id']}"


async def test_unknown_category_and_rejection(http, minter):
    person_id = await elderly(http, minter)
    r = await http.post("/applications", json={"person_id": person_id, "categories": ["9.9"]}, headers=h(minter, MAKER))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.categories.0"
    application_id = await apply(http, minter, person_id)
    r = await http.post(
        f"/applications/{application_id}/reject", json={"reason": "có người phụng dưỡng"}, headers=h(minter, CHECKER)
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"


def by_month(body: dict) -> dict[str, dict]:
    return {m["month"]: m for m in body["months"]}


async def test_entitlements_follow_standard_levels_and_the_80th_birthday(http, minter):
    body = await approved(http, minter)
    r = await http.get(
        f"/beneficiaries/{body['id']}/entitlements",
        params={"from": "2020-12", "to": "2026-08"},
        headers=minter.headers("registry:read", **CHECKER),
    )
    assert r.status_code == 200, r.text
    months = by_month(r.json())
    assert months["2020-12"]["amount"] == 0 and months["2020-12"]["reason"] == "before_start"
    expected = {
        "2021-01": ("1.5", 270_000, 405_000),
        "2021-06": ("1.5", 270_000, 405_000),
        "2021-07": ("1.5", 360_000, 540_000),
        "2024-04": ("1.5", 360_000, 540_000),
        "2024-05": ("2.0", 360_000, 720_000),
        "2024-06": ("2.0", 360_000, 720_000),
        "2024-07": ("2.0", 500_000, 1_000_000),
        "2026-06": ("2.0", 500_000, 1_000_000),
        "2026-07": ("2.0", 540_000, 1_080_000),
        "2026-08": ("2.0", 540_000, 1_080_000),
    }
    for month, (coefficient, standard, amount) in expected.items():
        m = months[month]
        assert (m["category"], m["coefficient"], m["standard_level"], m["amount"]) == (
            "5.5a",
            coefficient,
            standard,
            amount,
        ), month
        assert m["legal_basis"] and m["reason"] is None


async def test_suspension_and_death_stop_payment(app, http, minter):
    body = await approved(http, minter)
    url = f"/beneficiaries/{body['id']}/decisions"
    r = await http.post(
        url,
        json={"kind": "suspend", "effective_month": "2022-03", "reason": "3 tháng không nhận"},
        headers=h(minter, CHECKER),
    )
    assert r.status_code == 428
    r = await http.post(
        url,
        json={"kind": "suspend", "effective_month": "2022-03", "reason": "3 tháng không nhận"},
        headers={**h(minter, CHECKER), "If-Match": '"7"'},
    )
    assert r.status_code == 412
    r = await http.post(
        url,
        json={"kind": "suspend", "effective_month": "2022-03", "reason": "3 tháng không nhận"},
        headers={**h(minter, CHECKER), "If-Match": '"1"'},
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "suspended" and r.headers["etag"] == '"2"'
    r = await http.post(
        url, json={"kind": "reinstate", "effective_month": "2022-05"}, headers={**h(minter, CHECKER), "If-Match": '"2"'}
    )
    assert r.status_code == 201 and r.json()["status"] == "active"
    r = await http.post(
        url,
        json={"kind": "record_death", "death_date": "2025-02-14"},
        headers={**h(minter, CHECKER), "If-Match": '"3"'},
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "deceased" and r.json()["decisions"][-1]["effective_month"] == "2025-03"

    r = await http.get(
        f"/beneficiaries/{body['id']}/entitlements",
        params={"from": "2022-02", "to": "2025-04"},
        headers=minter.headers("registry:read", **CHECKER),
    )
    months = by_month(r.json())
    assert months["2022-02"]["amount"] == 540_000
    assert months["2022-03"]["amount"] == 0 and months["2022-03"]["reason"] == "suspended"
    assert months["2022-04"]["amount"] == 0
    assert months["2022-05"]["amount"] == 540_000
    assert months["2025-02"]["amount"] == 1_000_000
    assert months["2025-03"]["amount"] == 0 and months["2025-03"]["reason"] == "deceased"

    async with app.state.sessionmaker() as s:
        types = [
            dict(row)["type"] if "type" in row else row["envelope"]["type"]
            for row in (await s.execute(select(EVENT_TABLES.outbox).where(EVENT_TABLES.outbox.c.subject == body["id"])))
            .mappings()
            .all()
        ]
    assert sorted(types) == sorted(
        [
            "registry.beneficiary.approved.v1",
            "registry.beneficiary.suspended.v1",
            "registry.beneficiary.reinstated.v1",
            "registry.beneficiary.terminated.v1",
            *["registry.beneficiary.entitlements_changed.v1"] * 4,
        ]
    )  # each changed what is owed


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2024-13", "to": "2025-01"},
        {"from": "2025-02", "to": "2025-01"},
        {"from": "2015-01", "to": "2025-01"},
        {"from": "2024", "to": "2025-01"},
    ],
)
async def test_bad_month_range_is_422(http, minter, params):
    body = await approved(http, minter)
    r = await http.get(
        f"/beneficiaries/{body['id']}/entitlements", params=params, headers=minter.headers("registry:read", **CHECKER)
    )
    assert r.status_code == 422


async def test_beneficiary_outside_areas_is_404(http, minter):
    body = await approved(http, minter)
    r = await http.get(f"/beneficiaries/{body['id']}", headers=minter.headers("registry:read", areas=("992",)))
    assert r.status_code == 404


async def test_a_category_change_publishes_changed_with_the_categories_before_and_after(app, http, minter):
    body = await approved(http, minter)
    r = await http.post(
        f"/beneficiaries/{body['id']}/decisions",
        headers={**h(minter, CHECKER), "If-Match": '"1"'},
        json={"kind": "change_category", "effective_month": "2024-01", "categories": ["5.5c"], "number": "45/QĐ-UBND"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["categories"] == ["5.5c"]
    async with app.state.sessionmaker() as s:
        rows = (
            (
                await s.execute(
                    select(EVENT_TABLES.outbox.c.envelope).where(
                        EVENT_TABLES.outbox.c.subject == body["id"],
                        EVENT_TABLES.outbox.c.type == "registry.beneficiary.changed.v1",
                    )
                )
            )
            .scalars()
            .all()
        )
    assert [e["data"] for e in rows] == [
        {
            "beneficiary_id": body["id"],
            "person_id": body["person_id"],
            "effective_month": "2024-01",
            "categories": ["5.5c"],
            "previous_categories": ["5.5a"],
            "decision_number": "45/QĐ-UBND",
            "date_of_birth": "1944-05-10",
            "commune_code": "99101",
            "district_code": "991",
            "province_code": "99",
        }
    ]
