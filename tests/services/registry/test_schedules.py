"""Entitlement schedules sent to payments (registry.beneficiary.entitlements_changed.v1), on real PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from services.registry.models import EVENT_TABLES

from .test_beneficiaries import CHECKER, MAKER, approved, h

TYPE = "registry.beneficiary.entitlements_changed.v1"


async def schedules(app, beneficiary_id: str) -> list[dict]:
    """The schedule events of a beneficiary in the outbox, oldest first."""
    async with app.state.sessionmaker() as s:
        rows = (
            (
                await s.execute(
                    select(EVENT_TABLES.outbox.c.envelope)
                    .where(EVENT_TABLES.outbox.c.subject == beneficiary_id, EVENT_TABLES.outbox.c.type == TYPE)
                    .order_by(EVENT_TABLES.outbox.c.sequence)
                )
            )
            .scalars()
            .all()
        )
    return [r["data"] for r in rows]


def amounts(schedule: dict) -> list[tuple[str, str | None, int]]:
    return [(p["from"], p["to"], p["amount"]) for p in schedule["periods"]]


async def test_approval_sends_the_whole_schedule_with_what_the_payment_list_needs(app, http, minter):
    body = await approved(http, minter)
    [first] = await schedules(app, body["id"])
    assert first["version"] == 1 and first["status"] == "active"
    assert (first["full_name"], first["date_of_birth"], first["commune_code"]) == ("Trần Văn Ba", "1944-05-10", "99101")
    assert first["national_id"].startswith("0840") and first["household_id"] is None
    assert first["computed_from"] == "2021-01"
    assert amounts(first) == [
        ("2021-01", "2021-06", 405_000),
        ("2021-07", "2024-04", 540_000),
        ("2024-05", "2024-06", 720_000),
        ("2024-07", "2026-06", 1_000_000),
        ("2026-07", None, 1_080_000),
    ]
    assert first["periods"][2] | {"from": None, "to": None} == {
        "from": None,
        "to": None,
        "amount": 720_000,
        "category": "5.5a",
        "coefficient": "2.0",
        "standard_level": 360_000,
        "categories": ["5.5a"],
    }


async def test_a_schedule_is_resent_only_when_what_is_owed_or_shown_changes(app, http, minter):
    body = await approved(http, minter)
    person = f"/persons/{body['person_id']}"
    r = await http.patch(person, json={"phone": "0912345678"}, headers={**h(minter, MAKER), "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert len(await schedules(app, body["id"])) == 1  # the phone is not in the schedule
    r = await http.patch(
        person,
        json={"full_name": "Trần Văn Bá", "reason": "sai chính tả"},
        headers={**h(minter, MAKER), "If-Match": '"2"'},
    )
    assert r.status_code == 200, r.text
    sent = await schedules(app, body["id"])
    assert [s["version"] for s in sent] == [1, 2] and sent[1]["full_name"] == "Trần Văn Bá"
    assert amounts(sent[1]) == amounts(sent[0])

    r = await http.post(
        f"/beneficiaries/{body['id']}/decisions",
        json={"kind": "record_death", "death_date": "2025-02-14", "number": "TB 3/UBND"},
        headers={**h(minter, CHECKER), "If-Match": '"1"'},
    )
    assert r.status_code == 201, r.text
    last = (await schedules(app, body["id"]))[-1]
    assert last["version"] == 3 and last["status"] == "deceased" and last["death_date"] == "2025-02-14"
    assert amounts(last)[-1] == ("2024-07", "2025-02", 1_000_000)  # nothing owed after the month of death


async def test_a_new_standard_level_resends_every_changed_schedule_once(app, http, minter, admin):
    body = await approved(http, minter)
    r = await http.post(
        "/parameters/standard-levels",
        headers=admin,
        json={"valid_from": "2027-01", "amount": 600_000, "legal_basis": "Nghị định thử"},
    )
    assert r.status_code == 201, r.text
    sent = await schedules(app, body["id"])  # the background sweep ran after the commit
    assert [s["version"] for s in sent] == [1, 2]
    assert amounts(sent[1])[-2:] == [("2026-07", "2026-12", 1_080_000), ("2027-01", None, 1_200_000)]

    r = await http.post("/jobs/entitlement-schedules", headers=admin)
    assert r.status_code == 200 and r.json()["examined"] >= 1 and r.json()["published"] == 0
    assert len(await schedules(app, body["id"])) == 2
    assert (await http.post("/jobs/entitlement-schedules", headers=h(minter, MAKER))).status_code == 403
