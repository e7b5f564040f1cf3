"""Cases over HTTP: a report opens a case, steps move it through Decree 56 with their deadlines, If-Match
protects concurrent edits, maker-checker protects plan approval."""

from datetime import datetime, timedelta

from pydantic import SecretStr
from sqlalchemy import text

from common import clock
from common.clock import VIETNAM_TZ

from .conftest import COMMUNE, new_case, worker


async def open_case(http, minter, **over):
    r = await http.post("/cases", json=new_case(**over), headers=worker(minter))
    assert r.status_code == 201, r.text
    return r


async def step(http, minter, case, action, client_id="officer-a", **body):
    r = await http.post(
        f"/cases/{case['id']}/steps",
        json={"action": action, **body},
        headers={**worker(minter, client_id=client_id), "If-Match": f'"{case["version"]}"'},
    )
    return r


async def test_a_hotline_report_opens_a_case_with_a_new_child_and_the_12_hour_limit(http, minter, now):
    r = await open_case(http, minter)
    case = r.json()
    assert r.headers["etag"] == '"1"' and r.headers["location"] == f"/child-protection/cases/{case['id']}"
    assert case["number"].startswith("CP-") and case["status"] == "reported"
    assert case["commune_code"] == COMMUNE and case["district_code"] == "" and case["province_code"] == "86"
    assert case["report"] == "Neighbours heard a child beaten at night"
    assert case["next_actions"] == ["initial_assessment"]
    [deadline] = case["deadlines"]
    assert deadline["step"] == "emergency_action" and deadline["status"] == "open"
    assert datetime.fromisoformat(deadline["due_at"]) == now + timedelta(hours=12)

    read = await http.get(f"/cases/{case['id']}", headers=worker(minter))
    assert read.status_code == 200 and read.json()["perpetrator"] == "the stepfather"
    child = await http.get(f"/children/{case['child_id']}", headers=worker(minter))
    assert child.json()["whereabouts"] == "at the grandmother's house, hamlet 3"


async def test_narratives_are_encrypted_at_rest(http, minter, now, app):
    case = (await open_case(http, minter)).json()
    async with app.state.sessionmaker() as session:
        row = (
            await session.execute(
                text("SELECT report_enc, perpetrator_enc, reporter_enc FROM child_protection.cases WHERE id = :id"),
                {"id": case["id"]},
            )
        ).one()
        dump = b"".join(bytes(v) for v in row)
        where = await session.scalar(
            text("SELECT whereabouts_enc FROM child_protection.children WHERE id = :id"), {"id": case["child_id"]}
        )
    for secret in (b"beaten", b"stepfather", b"0912", b"grandmother"):
        assert secret not in dump and secret not in bytes(where)
    assert dump[:1] == b"\x01"  # a versioned ciphertext, key id k1
    assert b"k1" in dump[:6]


async def test_the_full_path_with_maker_checker_and_working_day_deadlines(http, minter, now):
    case = (await open_case(http, minter)).json()
    r = await step(http, minter, case, "initial_assessment", risk_level="high", note="bruises on both arms")
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["status"] == "initially_assessed" and r.headers["etag"] == '"2"'
    assert case["deadlines"][0]["status"] == "on_time"

    case = (await step(http, minter, case, "detailed_assessment", note="case meeting held")).json()
    plan_due = next(d for d in case["deadlines"] if d["step"] == "plan_draft")
    # Wednesday 2 Dec 2026 + 5 working days = Wednesday 9 Dec, due at its end.
    assert datetime.fromisoformat(plan_due["due_at"]) == datetime(2026, 12, 10, tzinfo=VIETNAM_TZ)

    plan = {
        "content": "counselling weekly; school fees",
        "services": ["counselling", "education"],
        "support": [
            {"kind": "scholarship", "funding": "charity", "sponsor": "Quỹ Bảo trợ trẻ em", "amount": 1_000_000}
        ],
    }
    case = (await step(http, minter, case, "draft_plan", plan=plan)).json()
    assert case["status"] == "plan_drafted" and case["support"][0]["status"] == "proposed"
    approval = next(d for d in case["deadlines"] if d["step"] == "plan_approval")
    assert datetime.fromisoformat(approval["due_at"]) == datetime(2026, 12, 5, tzinfo=VIETNAM_TZ)  # end of Fri 4

    same = await step(http, minter, case, "approve_plan")
    assert same.status_code == 403 and same.json()["type"].endswith("/maker-checker")
    r = await step(http, minter, case, "approve_plan", client_id="chairman-b")
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["plans"][0]["status"] == "approved" and case["plans"][0]["decided_by"] == "chairman-b"
    assert case["support"][0]["status"] == "requested"
    for action in ("start_support", "review", "close"):
        case = (await step(http, minter, case, action)).json()
    assert case["status"] == "closed" and case["closed_at"]
    case = (await step(http, minter, case, "reopen", note="new report from school")).json()
    assert case["status"] == "reported"
    history = (await http.get(f"/cases/{case['id']}/history", headers=worker(minter))).json()["items"]
    assert [h["action"] for h in history] == [
        "report",
        "initial_assessment",
        "detailed_assessment",
        "draft_plan",
        "approve_plan",
        "start_support",
        "review",
        "close",
        "reopen",
    ]
    assert history[1]["note"] == "bruises on both arms" and history[1]["form"] == "02"


async def test_a_step_not_allowed_is_a_409_naming_the_allowed_ones(http, minter, now):
    case = (await open_case(http, minter)).json()
    r = await step(http, minter, case, "approve_plan")
    assert r.status_code == 409
    assert r.json()["type"].endswith("/invalid-transition") and r.json()["allowed"] == ["initial_assessment"]
    r = await step(http, minter, case, "initial_assessment")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.risk_level"


async def test_two_officers_editing_the_same_case_get_412_not_a_lost_update(http, minter, now):
    case = (await open_case(http, minter)).json()
    first = await http.patch(
        f"/cases/{case['id']}",
        json={"report": "first officer's correction"},
        headers={**worker(minter), "If-Match": '"1"'},
    )
    assert first.status_code == 200 and first.headers["etag"] == '"2"'
    second = await http.patch(
        f"/cases/{case['id']}",
        json={"report": "second officer's correction"},
        headers={**worker(minter, client_id="officer-c"), "If-Match": '"1"'},
    )
    assert second.status_code == 412 and second.headers["etag"] == '"2"'
    assert second.json()["current_version"] == 2
    missing = await http.patch(f"/cases/{case['id']}", json={"report": "x"}, headers=worker(minter))
    assert missing.status_code == 428
    stale_step = await step(http, minter, case, "initial_assessment", risk_level="low")
    assert stale_step.status_code == 412
    now_case = (await http.get(f"/cases/{case['id']}", headers=worker(minter))).json()
    assert now_case["report"] == "first officer's correction"


async def test_separation_at_most_15_days_meets_its_decision_limit(http, minter, now):
    case = (await open_case(http, minter)).json()
    case = (
        await step(http, minter, case, "initial_assessment", risk_level="immediate_danger", separation_needed=True)
    ).json()
    decision = next(d for d in case["deadlines"] if d["step"] == "separation_decision")
    assert datetime.fromisoformat(decision["due_at"]) == now + timedelta(hours=12)
    headers = {**worker(minter), "If-Match": f'"{case["version"]}"'}
    too_long = await http.post(
        f"/cases/{case['id']}/separations", headers=headers, json={"starts_on": "2026-12-02", "ends_on": "2026-12-17"}
    )
    assert too_long.status_code == 422 and "at most 15 days" in too_long.json()["detail"]
    with clock.frozen(now + timedelta(hours=13)):
        r = await http.post(
            f"/cases/{case['id']}/separations",
            headers=headers,
            json={"starts_on": "2026-12-02", "ends_on": "2026-12-16", "note": "child at the centre"},
        )
    assert r.status_code == 200, r.text
    case = r.json()
    steps = {d["step"]: d for d in case["deadlines"]}
    assert steps["separation_decision"]["status"] == "late"
    assert datetime.fromisoformat(steps["separation_end"]["due_at"]) == datetime(2026, 12, 17, tzinfo=VIETNAM_TZ)
    assert case["separations"][0]["note"] == "child at the centre"


async def test_idempotent_report_stores_no_narrative(http, minter, now, app):
    headers = {**worker(minter), "Idempotency-Key": "report-1"}
    a = await http.post("/cases", json=new_case(), headers=headers)
    b = await http.post("/cases", json=new_case(), headers=headers)
    assert a.status_code == b.status_code == 201
    assert b.headers["idempotent-replayed"] == "true" and b.headers["location"] == a.headers["location"]
    assert b.json() == a.json()  # the record as it is now, read again
    other = await http.post("/cases", json=new_case(report="another report"), headers=headers)
    assert other.status_code == 422
    async with app.state.sessionmaker() as session:
        stored = (await session.execute(text("SELECT body::text FROM child_protection.idempotency_keys"))).scalars()
        stored = " ".join(stored)
        cases = await session.scalar(text("SELECT count(*) FROM child_protection.cases"))
    assert a.json()["id"] in stored and "beaten" not in stored and "grandmother" not in stored
    assert cases == 1


async def test_an_unknown_commune_and_a_child_of_16_are_refused(http, minter, now):
    bad = new_case(child={"full_name": "An", "commune_code": "99999"})
    r = await http.post("/cases", json=bad, headers=worker(minter))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.child.commune_code"
    old = new_case(child={"full_name": "An", "commune_code": COMMUNE, "date_of_birth": "2010-12-02"})
    r = await http.post("/cases", json=old, headers=worker(minter))
    assert r.status_code == 422 and "under 16" in r.json()["detail"]


async def test_key_rotation_without_downtime(http, minter, now, app, settings):
    case = (await open_case(http, minter)).json()
    # The replicas restart with k2 active: old values still read, new writes use k2.
    rotated = settings.model_copy(update={"encryption_active_key": "k2"})
    app.state.cipher = rotated.cipher()
    r = await http.patch(
        f"/cases/{case['id']}", json={"perpetrator": "an uncle"}, headers={**worker(minter), "If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.json()["report"] == "Neighbours heard a child beaten at night"
    admin = minter.headers("admin", client_id="dev-admin")
    first = (await http.post("/admin/encryption/rekey", headers=admin)).json()
    assert first["rewritten"] >= 3 and "cases.report_enc" in first["columns"]
    assert "cases.perpetrator_enc" not in first["columns"]  # already under k2
    assert (await http.post("/admin/encryption/rekey", headers=admin)).json()["rewritten"] == 0
    # The old key can now be removed.
    k2_only = ",".join(e for e in settings.encryption_keys.get_secret_value().split(",") if e.startswith("k2:"))
    app.state.cipher = settings.model_copy(
        update={"encryption_keys": SecretStr(k2_only), "encryption_active_key": "k2"}
    ).cipher()
    read = (await http.get(f"/cases/{case['id']}", headers=worker(minter))).json()
    assert read["report"] == "Neighbours heard a child beaten at night" and read["perpetrator"] == "an uncle"
    assert (await http.post("/admin/encryption/rekey", headers=worker(minter))).status_code == 403


async def test_dates_at_the_edge_of_the_calendar_are_refused_not_500(http, minter, now):
    case = (await open_case(http, minter)).json()
    headers = {**worker(minter), "If-Match": '"1"'}
    r = await http.post(
        f"/cases/{case['id']}/separations", headers=headers, json={"starts_on": "9999-12-25", "ends_on": "9999-12-31"}
    )
    assert r.status_code == 422
    r = await http.post("/cases", headers=worker(minter), json=new_case(reported_at="9999-12-31T23:59:59-10:00"))
    assert r.status_code == 422
    r = await http.get("/reports/deadlines", params={"until": "9999-12-31"}, headers=worker(minter))
    assert r.status_code == 422
    r = await http.get("/reports/support", params={"on": "2100-12-31"}, headers=worker(minter))
    assert r.status_code == 200


async def test_support_given_counts_approved_and_paid_items_by_kind(app, http, minter, now):
    import uuid

    from services.child_protection.support import service as support
    from services.child_protection.support.schemas import LineResultIn

    case = (await open_case(http, minter)).json()
    for action in ("initial_assessment", "detailed_assessment"):
        case = (await step(http, minter, case, action, **({"risk_level": "low"} if action[0] == "i" else {}))).json()
    plan = {
        "content": "school fees; an operation",
        "services": ["education", "medical"],
        "support": [
            {"kind": "scholarship", "funding": "charity", "sponsor": "Quỹ Bảo trợ trẻ em", "amount": 1_000_000},
            {"kind": "surgery", "funding": "charity", "sponsor": "Bệnh viện tỉnh", "amount": 30_000_000},
        ],
    }
    case = (await step(http, minter, case, "draft_plan", plan=plan)).json()
    before = (await http.get("/reports/given", headers=worker(minter))).json()
    assert before["rows"] == [] and (before["since"], before["until"]) == ("2026-01-01", "2026-12-02")
    case = (await step(http, minter, case, "approve_plan", client_id="chairman-b")).json()
    scholarship = next(i for i in case["support"] if i["kind"] == "scholarship")
    async with app.state.sessionmaker() as s:  # what payments' line result does through the inbox
        result = LineResultIn(line_id=uuid.uuid4(), programme="service_request", recipient_id=scholarship["id"])
        assert await support.apply_outcome(s, result, "paid", now.date())
        await s.commit()
    rows = (await http.get("/reports/given", headers=worker(minter))).json()["rows"]
    assert rows == [
        {
            "kind": "scholarship",
            "funding": "charity",
            "approved": 1,
            "children": 1,
            "amount_approved": 1_000_000,
            "paid": 1,
            "amount_paid": 1_000_000,
            "unpaid": 0,
        },
        {
            "kind": "surgery",
            "funding": "charity",
            "approved": 1,
            "children": 1,
            "amount_approved": 30_000_000,
            "paid": 0,
            "amount_paid": 0,
            "unpaid": 0,
        },
    ]
    last_year = await http.get(
        "/reports/given", params={"since": "2025-01-01", "until": "2025-12-31"}, headers=worker(minter)
    )
    assert last_year.json()["rows"] == []
    elsewhere = await http.get("/reports/given", headers=worker(minter, areas=("844",)))
    assert elsewhere.json()["rows"] == []
    csv = await http.get("/reports/given", params={"format": "csv"}, headers=worker(minter))
    assert csv.content.decode("utf-8-sig").splitlines()[0].startswith("Loại hỗ trợ,Nguồn,Số khoản được duyệt")
