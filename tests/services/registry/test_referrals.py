"""Child protection's referrals for the monthly allowance (5.1, 5.3) arrive through the inbox as application drafts
with the case number as source; an officer submits one (then the usual maker-checker decides) or dismisses it."""

from __future__ import annotations

import itertools
import uuid
from datetime import date

from common.events.envelope import Event, new_event
from services.child_protection import events as cp
from services.registry.events import EVENTS

from .test_beneficiaries import APPROVAL, CHECKER, MAKER, h
from .test_persons import national_id

_seq = itertools.count(1)


def referral(
    person_id: str, category: str = "5.1", case_id: uuid.UUID | None = None, case_number: str = "CP-000042"
) -> Event:
    data = cp.AllowanceReferred(
        child_id=uuid.uuid4(),
        person_id=uuid.UUID(person_id),
        case_id=case_id or uuid.uuid4(),
        case_number=case_number,
        category=category,
        referred_by="commune-cp-officer",
        commune_code="99101",
        district_code="991",
        province_code="99",
    )
    return Event.model_validate(
        {**new_event("/ansinh/child_protection", cp.ALLOWANCE_REFERRED, person_id, data), "sequence": next(_seq)}
    )


async def feed(app, *events: Event) -> list[bool]:
    async with app.state.sessionmaker() as session:
        applied = [await EVENTS.inbox.apply(session, e) for e in events]
        await session.commit()
    return applied


async def child(http, minter, commune: str = "99101") -> str:
    dob = date(2016, 4, 2)
    r = await http.post(
        "/persons",
        headers=h(minter, MAKER),
        json={
            "full_name": "Thạch Thị Sa",
            "date_of_birth": dob.isoformat(),
            "sex": "female",
            "national_id": national_id(dob, "female"),
            "commune_code": commune,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def drafts(http, minter, who=MAKER, **params) -> list[dict]:
    r = await http.get("/application-drafts", params=params, headers=h(minter, who))
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_a_referral_becomes_one_draft_that_an_officer_submits_and_another_client_approves(app, http, minter):
    person = await child(http, minter)
    case = uuid.uuid4()
    event = referral(person, case_id=case)
    assert await feed(app, event, event, referral(person, case_id=case)) == [True, False, True]
    [draft] = await drafts(http, minter, status="draft")
    assert (draft["person_id"], draft["category"], draft["source"], draft["status"]) == (
        person,
        "5.1",
        "CP-000042",
        "draft",
    )
    r = await http.get(f"/application-drafts/{draft['id']}", headers=h(minter, MAKER))
    assert r.status_code == 200 and r.json() == draft

    r = await http.post(
        f"/application-drafts/{draft['id']}/submit", json={"note": "đủ điều kiện"}, headers=h(minter, MAKER)
    )
    assert r.status_code == 201, r.text
    application = r.json()["application"]
    assert (application["status"], application["categories"], application["submitted_by"]) == (
        "submitted",
        ["5.1"],
        MAKER["client_id"],
    )
    assert "CP-000042" in application["note"] and r.headers["location"].endswith(application["id"])
    assert r.json()["draft"]["status"] == "submitted"
    assert r.json()["draft"]["application_id"] == application["id"]
    again = await http.post(f"/application-drafts/{draft['id']}/submit", json={}, headers=h(minter, MAKER))
    assert again.status_code == 409 and again.json()["type"].endswith("/draft-decided")

    # The usual maker-checker decides: the submitting officer may not approve, another client may.
    r = await http.post(f"/applications/{application['id']}/approve", json=APPROVAL, headers=h(minter, MAKER))
    assert r.status_code == 403
    r = await http.post(f"/applications/{application['id']}/approve", json=APPROVAL, headers=h(minter, CHECKER))
    assert r.status_code == 201, r.text
    assert r.json()["categories"] == ["5.1"]
    assert await drafts(http, minter, status="draft") == []


async def test_a_draft_is_dismissed_with_a_reason_and_stays_within_the_officer_s_areas(app, http, minter):
    person = await child(http, minter)
    await feed(app, referral(person, category="5.3", case_number="CP-000043"))
    [draft] = await drafts(http, minter)
    outsider = {"client_id": "other-district", "areas": ("992",)}
    assert await drafts(http, minter, outsider) == []
    r = await http.get(f"/application-drafts/{draft['id']}", headers=h(minter, outsider))
    assert r.status_code == 404
    r = await http.post(f"/application-drafts/{draft['id']}/dismiss", json={"reason": "x"}, headers=h(minter, outsider))
    assert r.status_code == 404
    r = await http.post(f"/application-drafts/{draft['id']}/dismiss", json={}, headers=h(minter, MAKER))
    assert r.status_code == 422 and "reason" in r.text
    r = await http.get(f"/application-drafts/{draft['id']}", headers=minter.headers("payments:read"))
    assert r.status_code == 403
    r = await http.post(
        f"/application-drafts/{draft['id']}/dismiss", json={"reason": "đã hưởng chế độ khác"}, headers=h(minter, MAKER)
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["dismiss_reason"], r.json()["application_id"]) == (
        "dismissed",
        "đã hưởng chế độ khác",
        None,
    )
    r = await http.post(f"/application-drafts/{draft['id']}/submit", json={}, headers=h(minter, MAKER))
    assert r.status_code == 409


async def test_a_referral_of_a_person_the_registry_does_not_know_makes_no_draft(app, http, minter):
    assert await feed(app, referral(str(uuid.uuid4()))) == [True]
    assert await drafts(http, minter) == []
    r = await http.get("/application-drafts", params={"cursor": "nonsense"}, headers=h(minter, MAKER))
    assert r.status_code == 422 and "cursor" in r.text


async def test_pages_follow_the_cursor(app, http, minter):
    person = await child(http, minter)
    await feed(app, *[referral(person, case_number=f"CP-00010{i}") for i in range(3)])
    r = await http.get("/application-drafts", params={"limit": 2}, headers=h(minter, MAKER))
    first = r.json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    r = await http.get(
        "/application-drafts", params={"limit": 2, "cursor": first["next_cursor"]}, headers=h(minter, MAKER)
    )
    assert len(r.json()["items"]) == 1 and r.json()["next_cursor"] is None
    assert len({d["id"] for d in first["items"] + r.json()["items"]}) == 3
