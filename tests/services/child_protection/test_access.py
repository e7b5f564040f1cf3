"""Who sees what: the authorization matrix (case worker, supervisor, admin, postal and insurance clients),
areas, the X-Purpose header, the audit of every read, and counts only for the report readers and admin."""

import pytest

from .conftest import COMMUNE, OTHER_COMMUNE, new_case, supervisor, worker

PURPOSE = {"X-Purpose": "checking"}


@pytest.fixture
async def case(http, minter, now):
    r = await http.post("/cases", json=new_case(), headers=worker(minter))
    assert r.status_code == 201
    return r.json()


CLIENTS = {
    "case_worker": (("child_protection:case",), "officer-a"),
    "supervisor": (("child_protection:read",), "supervisor"),
    "admin": (("admin",), "dev-admin"),
    "postal": (("payments:disburse",), "vnpost"),
    "insurance": (("insurance:exchange", "insurance:read"), "bhxh"),
}
# (method, path template, expected status per client)
MATRIX = [
    ("GET", "/cases/{case}", {"case_worker": 200, "supervisor": 200, "admin": 403, "postal": 403, "insurance": 403}),
    (
        "GET",
        "/children/{child}",
        {"case_worker": 200, "supervisor": 200, "admin": 403, "postal": 403, "insurance": 403},
    ),
    ("GET", "/cases", {"case_worker": 200, "supervisor": 200, "admin": 403, "postal": 403, "insurance": 403}),
    (
        "GET",
        "/cases/{case}/history",
        {"case_worker": 200, "supervisor": 200, "admin": 403, "postal": 403, "insurance": 403},
    ),
    ("PATCH", "/cases/{case}", {"case_worker": 200, "supervisor": 403, "admin": 403, "postal": 403, "insurance": 403}),
    (
        "GET",
        "/deadlines/overdue",
        {"case_worker": 200, "supervisor": 200, "admin": 403, "postal": 403, "insurance": 403},
    ),
    ("GET", "/changes", {"case_worker": 200, "supervisor": 200, "admin": 403, "postal": 403, "insurance": 403}),
    ("GET", "/audit", {"case_worker": 403, "supervisor": 200, "admin": 403, "postal": 403, "insurance": 403}),
    (
        "GET",
        "/reports/children",
        {"case_worker": 200, "supervisor": 200, "admin": 200, "postal": 403, "insurance": 403},
    ),
]


@pytest.mark.parametrize("method,path,expected", MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
async def test_authorization_matrix(http, minter, case, method, path, expected):
    url = path.format(case=case["id"], child=case["child_id"])
    for who, (scopes, client_id) in CLIENTS.items():
        headers = {**minter.headers(*scopes, client_id=client_id), **PURPOSE}
        kw = (
            {"json": {"risk_level": "low"}, "headers": {**headers, "If-Match": "*"}}
            if method == "PATCH"
            else {"headers": headers}
        )
        r = await http.request(method, url, **kw)
        assert r.status_code == expected[who], (who, r.text)
        if r.status_code == 403:
            assert r.headers["content-type"] == "application/problem+json"
            assert "Neighbours" not in r.text and "An" not in r.json().get("detail", "").split()


async def test_admin_holding_only_admin_sees_counts_not_contents(http, minter, case):
    admin = {**minter.headers("admin", client_id="dev-admin"), **PURPOSE}
    assert (await http.get(f"/cases/{case['id']}", headers=admin)).status_code == 403
    counts = await http.get("/reports/children", headers=admin)
    assert counts.status_code == 200
    assert "Nguyễn" not in counts.text and "beaten" not in counts.text


REPORTS = ("children", "support", "given", "placements", "deadlines")


@pytest.fixture
async def orphan(http, minter, now):
    """A child in special circumstances (an orphan) in COMMUNE: one in the commune's count."""
    child = {
        "full_name": "Trần Thị Bình",
        "commune_code": COMMUNE,
        "date_of_birth": "2015-01-10",
        "groups": [{"group": "orphan", "valid_from": "2024-03-01", "evidence": "death certificates 1/2024"}],
    }
    r = await http.post("/children", json=child, headers=worker(minter))
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.parametrize("scope", ["insurance:coverage", "payments:disburse"])
async def test_reports_refuse_clients_not_entitled_to_the_counts(http, minter, orphan, scope):
    # A hospital's coverage client or the post office: a count of 1 in a commune can name a child.
    headers = minter.headers(scope, client_id="partner")
    for name in REPORTS:
        for fmt in ("json", "csv"):
            r = await http.get(f"/reports/{name}", params={"format": fmt}, headers=headers)
            assert r.status_code == 403, (name, fmt, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            problem = r.json()
            assert problem["required_scopes"] == ["reports:read", "child_protection:read", "child_protection:case"]
            assert "reports:read" in problem["detail"] and "child_protection:read" in problem["detail"]
            assert COMMUNE not in r.text and "orphan" not in r.text


@pytest.mark.parametrize("scope", ["reports:read", "child_protection:read", "child_protection:case", "admin"])
async def test_reports_serve_the_report_readers_child_protection_and_admin(http, minter, orphan, scope):
    headers = minter.headers(scope, client_id="entitled")
    for name in REPORTS:
        r = await http.get(f"/reports/{name}", headers=headers)
        assert r.status_code == 200, (name, r.text)
    children = (await http.get("/reports/children", headers=headers)).json()["rows"]
    assert [(row["group"], row["children"]) for row in children if row["commune_code"] == COMMUNE] == [("orphan", 1)]
    assert "Bình" not in str(children)


async def test_every_read_needs_a_purpose(http, minter, case):
    headers = minter.headers("child_protection:case", client_id="officer-a")
    r = await http.get(f"/cases/{case['id']}", headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "header.x-purpose"
    r = await http.get(f"/cases/{case['id']}", headers={**headers, "X-Purpose": "   "})
    assert r.status_code == 422


async def test_areas_limit_case_workers_and_supervisors(http, minter, case):
    elsewhere = worker(minter, client_id="officer-far", areas=("844",))
    assert (await http.get(f"/cases/{case['id']}", headers=elsewhere)).status_code == 404
    assert (await http.get(f"/children/{case['child_id']}", headers=elsewhere)).status_code == 404
    listed = (await http.get("/cases", headers=elsewhere)).json()["items"]
    assert case["id"] not in [c["id"] for c in listed]
    # The admin scope does not widen a case worker's areas.
    admin_worker = {**minter.headers("admin", "child_protection:case", client_id="mixed", areas=("844",)), **PURPOSE}
    assert (await http.get(f"/cases/{case['id']}", headers=admin_worker)).status_code == 404
    # A case worker cannot record a child outside the areas either.
    bad = new_case(child={"full_name": "Bé Ba", "commune_code": COMMUNE})
    assert (await http.post("/cases", json=bad, headers=elsewhere)).status_code == 404
    ok = new_case(child={"full_name": "Bé Ba", "commune_code": OTHER_COMMUNE})
    assert (await http.post("/cases", json=ok, headers=elsewhere)).status_code == 201
    district_supervisor = supervisor(minter, areas=("844",))
    assert (await http.get(f"/cases/{case['id']}", headers=district_supervisor)).status_code == 404
    counts = (await http.get("/reports/children", headers=elsewhere)).json()["rows"]
    assert all(r["district_code"] == "844" for r in counts)


async def test_reads_are_audited_and_supervisors_query_the_trail(http, minter, case):
    await http.get(f"/cases/{case['id']}", headers=worker(minter, purpose="home visit planning"))
    await http.get(f"/children/{case['child_id']}", headers=supervisor(minter, purpose="monthly review"))
    trail = await http.get("/audit", params={"record_id": case["id"]}, headers=supervisor(minter))
    assert trail.status_code == 200
    items = trail.json()["items"]
    reads = [(i["client_id"], i["record_type"], i["purpose"]) for i in items]
    assert ("officer-a", "case", "home visit planning") in reads
    assert ("officer-a", "case", "case work") in reads  # the creation response showed the case too
    by_child = (await http.get("/audit", params={"record_id": case["child_id"]}, headers=supervisor(minter))).json()
    assert ("supervisor", "child", "monthly review") in [
        (i["client_id"], i["record_type"], i["purpose"]) for i in by_child["items"]
    ]
    # Reading the trail is itself recorded.
    again = (await http.get("/audit", params={"client_id": "supervisor"}, headers=supervisor(minter))).json()
    assert any(i["record_type"] == "audit_trail" for i in again["items"])
    # A refused read leaves no audit entry.
    admin = {**minter.headers("admin", client_id="dev-admin"), **PURPOSE}
    await http.get(f"/cases/{case['id']}", headers=admin)
    trail = (await http.get("/audit", params={"client_id": "dev-admin"}, headers=supervisor(minter))).json()
    assert trail["items"] == []


async def test_audit_pages(http, minter, case):
    for i in range(3):
        await http.get(f"/cases/{case['id']}", headers=worker(minter, purpose=f"read {i}"))
    first = (await http.get("/audit", params={"record_id": case["id"], "limit": 2}, headers=supervisor(minter))).json()
    second = (
        await http.get(
            "/audit",
            params={"record_id": case["id"], "limit": 2, "cursor": first["next_cursor"]},
            headers=supervisor(minter),
        )
    ).json()
    purposes = [i["purpose"] for i in first["items"] + second["items"]]
    assert purposes[:3] == ["read 2", "read 1", "read 0"]


async def test_audit_time_filters(http, minter, case):
    for since in ("2026-01-01T00:00:00", "2026-01-01T00:00:00+07:00"):
        r = await http.get("/audit", params={"since": since, "record_id": case["id"]}, headers=supervisor(minter))
        assert r.status_code == 200, r.text
        assert r.json()["items"]
    r = await http.get(
        "/audit", params={"until": "2026-01-01T00:00:00+07:00", "record_id": case["id"]}, headers=supervisor(minter)
    )
    assert r.status_code == 200 and r.json()["items"] == []
