"""Recording a death: on a person (beneficiary or not) or as a decision; registry.person.died.v1 in the outbox."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from services.registry.clock import today_in_vietnam
from services.registry.models import EVENT_TABLES

from .test_beneficiaries import CHECKER, MAKER, apply, approved, elderly, h
from .test_persons import national_id


async def outbox(app, subject: str) -> list[dict]:
    async with app.state.sessionmaker() as s:
        rows = (
            (
                await s.execute(
                    select(EVENT_TABLES.outbox.c.envelope)
                    .where(EVENT_TABLES.outbox.c.subject == subject)
                    .order_by(EVENT_TABLES.outbox.c.id)
                )
            )
            .scalars()
            .all()
        )
    return list(rows)


async def not_a_beneficiary(http, minter) -> str:
    dob = date(2012, 4, 1)
    r = await http.post(
        "/persons",
        json={
            "full_name": "Lê Văn Tư",
            "date_of_birth": dob.isoformat(),
            "sex": "male",
            "national_id": national_id(dob, "male"),
            "commune_code": "99102",
        },
        headers=h(minter, MAKER),
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


DEATH = {"death_date": "2025-02-14", "document": "Trích lục khai tử số 12/2025/TLKT-BS"}


async def test_death_of_a_person_who_is_not_a_beneficiary(app, http, minter):
    person_id = await not_a_beneficiary(http, minter)
    r = await http.post(f"/persons/{person_id}/death", json=DEATH, headers=h(minter, MAKER))
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/registry/persons/{person_id}"
    assert body["death_date"] == "2025-02-14" and body["effective_month"] == "2025-03"
    assert body["beneficiary_id"] is None and body["beneficiary_status"] is None
    assert body["recorded_by"] == "commune-officer"

    r = await http.get(f"/persons/{person_id}", headers=h(minter, MAKER))
    assert r.json()["death_date"] == "2025-02-14" and r.json()["death_document"] == DEATH["document"]
    assert r.headers["etag"] == '"2"'
    r = await http.get(f"/persons/{person_id}/history", headers=h(minter, MAKER))
    latest = r.json()["items"][0]
    assert latest["version"] == 2 and latest["reason"] == "death recorded"
    assert latest["after"] == {"death_date": "2025-02-14", "death_document": DEATH["document"]}

    events = [e for e in await outbox(app, person_id) if e["type"] == "registry.person.died.v1"]
    assert len(events) == 1
    assert events[0]["data"] == {
        "person_id": person_id,
        "death_date": "2025-02-14",
        "effective_month": "2025-03",
        "beneficiary_id": None,
        "date_of_birth": "2012-04-01",
        "commune_code": "99102",
        "district_code": "991",
        "province_code": "99",
    }

    # A deceased person cannot apply for the allowance.
    r = await http.post("/applications", json={"person_id": person_id, "categories": ["5.1"]}, headers=h(minter, MAKER))
    assert r.status_code == 409 and r.json()["type"].endswith("/person-deceased")


async def test_death_of_a_beneficiary_through_the_person_terminates_it(app, http, minter):
    beneficiary = await approved(http, minter)
    person_id, bid = beneficiary["person_id"], beneficiary["id"]
    r = await http.post(f"/persons/{person_id}/death", json=DEATH, headers=h(minter, CHECKER))
    assert r.status_code == 201, r.text
    assert r.json()["beneficiary_id"] == bid and r.json()["beneficiary_status"] == "deceased"

    r = await http.get(f"/beneficiaries/{bid}", headers=h(minter, CHECKER))
    assert r.json()["status"] == "deceased" and r.headers["etag"] == '"2"'
    death = r.json()["decisions"][-1]
    assert (death["kind"], death["effective_month"], death["death_date"], death["number"], death["reason"]) == (
        "record_death",
        "2025-03",
        "2025-02-14",
        DEATH["document"],
        "death",
    )

    r = await http.get(
        f"/beneficiaries/{bid}/entitlements", params={"from": "2025-02", "to": "2025-03"}, headers=h(minter, CHECKER)
    )
    months = {m["month"]: m for m in r.json()["months"]}
    assert months["2025-02"]["amount"] == 1_000_000
    assert months["2025-03"]["amount"] == 0 and months["2025-03"]["reason"] == "deceased"

    terminated = [e for e in await outbox(app, bid) if e["type"] == "registry.beneficiary.terminated.v1"]
    assert [e["data"]["reason"] for e in terminated] == ["death"]
    assert terminated[0]["data"]["effective_month"] == "2025-03"
    died = [e for e in await outbox(app, person_id) if e["type"] == "registry.person.died.v1"]
    assert len(died) == 1 and died[0]["data"]["beneficiary_id"] == bid


async def test_death_recorded_as_a_decision_also_records_the_person_and_publishes_died(app, http, minter):
    beneficiary = await approved(http, minter)
    person_id, bid = beneficiary["person_id"], beneficiary["id"]
    r = await http.post(
        f"/beneficiaries/{bid}/decisions",
        json={"kind": "record_death", "death_date": "2025-02-14", "number": "KT-12"},
        headers={**h(minter, CHECKER), "If-Match": '"1"'},
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "deceased" and r.json()["decisions"][-1]["effective_month"] == "2025-03"
    r = await http.get(f"/persons/{person_id}", headers=h(minter, CHECKER))
    assert r.json()["death_date"] == "2025-02-14" and r.json()["death_document"] == "KT-12"
    died = [e for e in await outbox(app, person_id) if e["type"] == "registry.person.died.v1"]
    assert [e["data"]["beneficiary_id"] for e in died] == [bid]

    # Recorded twice, by either route: 409 naming the recorded date.
    r = await http.post(f"/persons/{person_id}/death", json=DEATH, headers=h(minter, CHECKER))
    assert r.status_code == 409 and r.json()["type"].endswith("/death-already-recorded")
    assert r.json()["death_date"] == "2025-02-14"
    r = await http.post(
        f"/beneficiaries/{bid}/decisions",
        json={"kind": "record_death", "death_date": "2025-02-15"},
        headers={**h(minter, CHECKER), "If-Match": '"2"'},
    )
    assert r.status_code == 409 and r.json()["type"].endswith("/death-already-recorded")
    assert len([e for e in await outbox(app, person_id) if e["type"] == "registry.person.died.v1"]) == 1


async def test_death_recorded_twice_on_a_person_is_409(http, minter):
    person_id = await not_a_beneficiary(http, minter)
    r = await http.post(f"/persons/{person_id}/death", json=DEATH, headers=h(minter, MAKER))
    assert r.status_code == 201
    r = await http.post(
        f"/persons/{person_id}/death", json={**DEATH, "death_date": "2025-03-01"}, headers=h(minter, MAKER)
    )
    assert r.status_code == 409 and r.json()["death_date"] == "2025-02-14"


async def test_bad_death_dates_are_422_naming_the_field(http, minter):
    person_id = await not_a_beneficiary(http, minter)
    tomorrow = (today_in_vietnam() + timedelta(days=1)).isoformat()
    for death_date, words in ((tomorrow, "future"), ("2012-03-31", "date of birth")):
        r = await http.post(
            f"/persons/{person_id}/death", json={**DEATH, "death_date": death_date}, headers=h(minter, MAKER)
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "body.death_date" and words in r.json()["errors"][0]["reason"]
    beneficiary = await approved(http, minter)
    r = await http.post(
        f"/beneficiaries/{beneficiary['id']}/decisions",
        json={"kind": "record_death", "death_date": tomorrow},
        headers={**h(minter, CHECKER), "If-Match": '"1"'},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.death_date"
    r = await http.post(f"/persons/{person_id}/death", json={"death_date": "2025-02-14"}, headers=h(minter, MAKER))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.document"


async def test_death_needs_write_scope_and_the_area(http, minter):
    person_id = await not_a_beneficiary(http, minter)
    r = await http.post(f"/persons/{person_id}/death", json=DEATH, headers=minter.headers("registry:read"))
    assert r.status_code == 403
    r = await http.post(
        f"/persons/{person_id}/death", json=DEATH, headers=minter.headers("registry:write", areas=("992",))
    )
    assert r.status_code == 404


async def test_a_person_who_died_after_applying_cannot_be_approved(http, minter):
    person_id = await elderly(http, minter)
    application_id = await apply(http, minter, person_id)
    r = await http.post(f"/persons/{person_id}/death", json=DEATH, headers=h(minter, MAKER))
    assert r.status_code == 201
    r = await http.post(
        f"/applications/{application_id}/approve",
        json={"number": "12/QĐ-UBND", "signed_on": "2021-01-15", "authority": "Chủ tịch", "effective_month": "2021-01"},
        headers=h(minter, CHECKER),
    )
    assert r.status_code == 409 and r.json()["type"].endswith("/person-deceased")
