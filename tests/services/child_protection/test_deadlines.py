"""Overdue and due-soon lists per area, holidays maintained by an admin, daily alerts (counts only)."""

from datetime import date, datetime, timedelta

from sqlalchemy import text

from common import clock
from common.clock import VIETNAM_TZ
from services.child_protection.deadlines import service as deadlines

from .conftest import COMMUNE, OTHER_COMMUNE, new_case, supervisor, worker


async def report(http, minter, areas=("842",), commune=None, client_id="officer-a"):
    body = new_case() if commune is None else new_case(child={"full_name": "Bé", "commune_code": commune})
    r = await http.post("/cases", json=body, headers=worker(minter, areas=areas, client_id=client_id))
    assert r.status_code == 201, r.text
    return r.json()


async def test_overdue_and_due_soon_lists(http, minter, now):
    late = await report(http, minter)
    with clock.frozen(now + timedelta(hours=6)):
        fresh = await report(http, minter)
        elsewhere = await report(http, minter, areas=("844",), commune=OTHER_COMMUNE, client_id="officer-far")
    with clock.frozen(now + timedelta(hours=13)):
        overdue = await http.get("/deadlines/overdue", headers=worker(minter))
        soon = await http.get("/deadlines/due-soon", params={"hours": 12}, headers=worker(minter))
        everything = await http.get("/deadlines/overdue", headers=supervisor(minter))
    assert overdue.status_code == 200
    assert [(d["case_id"], d["step"]) for d in overdue.json()["items"]] == [(late["id"], "emergency_action")]
    assert overdue.json()["items"][0]["case_number"] == late["number"] and overdue.json()["items"][0]["overdue"]
    assert [d["case_id"] for d in soon.json()["items"]] == [fresh["id"]]
    assert elsewhere["id"] not in [d["case_id"] for d in soon.json()["items"]]
    assert {d["case_id"] for d in everything.json()["items"]} >= {late["id"]}
    assert "Nguyễn" not in overdue.text and "beaten" not in overdue.text


async def test_a_met_deadline_leaves_the_list_and_pages_are_stable(http, minter, now):
    cases = [await report(http, minter) for _ in range(3)]
    c = cases[0]
    r = await http.post(
        f"/cases/{c['id']}/steps",
        json={"action": "initial_assessment", "risk_level": "low"},
        headers={**worker(minter), "If-Match": '"1"'},
    )
    assert r.status_code == 200
    with clock.frozen(now + timedelta(days=1)):
        first = (await http.get("/deadlines/overdue", params={"limit": 1}, headers=worker(minter))).json()
        second = (
            await http.get(
                "/deadlines/overdue", params={"limit": 1, "cursor": first["next_cursor"]}, headers=worker(minter)
            )
        ).json()
    ids = [d["case_id"] for d in first["items"] + second["items"]]
    assert c["id"] not in ids and len(set(ids)) == 2 and second["next_cursor"] is None


async def test_holidays_move_working_day_deadlines(http, minter, now):
    admin = minter.headers("admin", client_id="dev-admin")
    # Thursday 3 and Friday 4 December 2026 declared holidays (for the test).
    for day in ("2026-12-03", "2026-12-04"):
        assert (await http.put(f"/holidays/{day}", json={"name": "test holiday"}, headers=admin)).status_code == 204
    refused = await http.put("/holidays/2026-12-07", json={"name": "x"}, headers=worker(minter))
    assert refused.status_code == 403
    listed = (await http.get("/holidays", params={"year": 2026}, headers=admin)).json()
    assert [h["day"] for h in listed] == ["2026-12-03", "2026-12-04"]
    case = await report(http, minter)
    case = (
        await http.post(
            f"/cases/{case['id']}/steps",
            json={"action": "initial_assessment", "risk_level": "low"},
            headers={**worker(minter), "If-Match": '"1"'},
        )
    ).json()
    case = (
        await http.post(
            f"/cases/{case['id']}/steps",
            json={"action": "detailed_assessment"},
            headers={**worker(minter), "If-Match": '"2"'},
        )
    ).json()
    due = next(d for d in case["deadlines"] if d["step"] == "plan_draft")["due_at"]
    # Wed 2 Dec + 5 working days skipping Thu 3, Fri 4 and the weekend: Mon 7 … Fri 11 → end of Friday 11.
    assert datetime.fromisoformat(due) == datetime(2026, 12, 12, tzinfo=VIETNAM_TZ)
    assert (await http.delete("/holidays/2026-12-05", headers=admin)).status_code == 404


async def test_daily_alerts_publish_counts_once_a_day(http, minter, now, app):
    await report(http, minter)
    await report(http, minter, areas=("844",), commune=OTHER_COMMUNE, client_id="officer-far")
    async with app.state.sessionmaker() as session:
        with clock.frozen(now + timedelta(hours=13)):
            result = await deadlines.publish_alerts(session, date(2026, 12, 2), 48)
            again = await deadlines.publish_alerts(session, date(2026, 12, 2), 48)
        rows = (
            (
                await session.execute(
                    text(
                        "SELECT envelope FROM child_protection.outbox WHERE type = "
                        "'child_protection.deadlines.alerts.v1' "
                        "ORDER BY id"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert result == {"communes": 2, "overdue": 2, "due_soon": 0}
    assert again == {"communes": 0, "overdue": 0, "due_soon": 0}
    data = [r["data"] for r in rows]
    assert sorted(d["commune_code"] for d in data) == [COMMUNE, OTHER_COMMUNE]
    assert data[0]["steps"] == [{"step": "emergency_action", "overdue": 1, "due_soon": 0}]
    assert all(
        set(d)
        == {"commune_code", "district_code", "province_code", "day", "overdue", "due_soon", "due_soon_hours", "steps"}
        for d in data
    )


async def test_events_carry_no_names_or_narratives(http, minter, now, app):
    case = await report(http, minter)
    await http.post(
        f"/cases/{case['id']}/steps",
        json={"action": "initial_assessment", "risk_level": "high", "note": "bruises"},
        headers={**worker(minter), "If-Match": '"1"'},
    )
    async with app.state.sessionmaker() as session:
        envelopes = (await session.execute(text("SELECT envelope::text FROM child_protection.outbox"))).scalars().all()
    assert len(envelopes) >= 2
    for envelope in envelopes:
        for secret in ("Nguyễn", "Nguy\\u1ec5n", "beaten", "stepfather", "grandmother", "bruises", "0912"):
            assert secret not in envelope


async def test_alerts_route_for_external_schedulers(http, minter, now):
    await report(http, minter)
    admin = minter.headers("admin", client_id="dev-admin")
    assert (await http.post("/admin/deadline-alerts/run", headers=worker(minter))).status_code == 403
    with clock.frozen(now + timedelta(hours=13)):
        first = (await http.post("/admin/deadline-alerts/run", headers=admin)).json()
        again = (await http.post("/admin/deadline-alerts/run", headers=admin)).json()
    assert first == {"communes": 1, "overdue": 1, "due_soon": 0}
    assert again == {"communes": 0, "overdue": 0, "due_soon": 0}
