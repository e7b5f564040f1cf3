"""The coverage check for hospitals and field-officer apps: valid or not on a day, nothing else; audited; limited.

Every test runs twice: against the lean endpoint ahead of the router (``coverage/fast.py``, the default) and against the
documented FastAPI route (``INSURANCE_COVERAGE_FAST_PATH=false``); both must answer alike."""

import asyncio
import uuid
from datetime import date

import asyncpg
import pytest
from sqlalchemy import text

from common.testing import app_client
from services.insurance.app import create_app
from services.insurance.exchange.identities import digest
from services.insurance.settings import InsuranceSettings

from .test_exchange import bhxh, build, setup


@pytest.fixture(params=[True, False], ids=["fast-path", "fastapi-route"])
async def exchange(request, test_db, registry, minter):
    """As the package's ``exchange`` fixture, with the coverage check served by the fast path or by the route."""
    from services.insurance.exchange.identities import RegistryIdentities

    settings = InsuranceSettings(
        database_url=test_db.urls["insurance"], decisions_worker=False, daily=False, coverage_fast_path=request.param
    )
    app = create_app(settings)
    app.state.identities = RegistryIdentities(registry, "", bearer=minter.token("registry:read", client_id="insurance"))
    async with app_client(app, keys=minter) as c:
        c.app = app
        yield c


async def test_coverage_answers_only_validity_and_audits_every_call(registry, exchange, minter):
    _, elder = await setup(registry, exchange, minter)
    lst = await build(exchange, minter, "2026-07")
    await exchange.post(
        f"/lists/{lst['id']}/results",
        headers=bhxh(minter),
        json={
            "results": [
                {
                    "person_id": str(elder),
                    "outcome": "issued",
                    "card_code": "BT2860000000222",
                    "valid_from": "2026-03-01",
                    "valid_to": "2026-12-31",
                }
            ]
        },
    )
    hospital = {**minter.headers("insurance:coverage", client_id="hospital-1"), "X-Purpose": "kham benh"}
    r = await exchange.get("/coverage?national_id=084050000222&on=2026-06-15", headers=hospital)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "on": "2026-06-15",
        "covered": True,
        "group": "BT",
        "benefit_level": 2,
        "valid_from": "2026-03-01",
        "valid_to": "2026-12-31",
    }
    assert "Trần" not in r.text and "0000000222" not in r.text
    before = await exchange.get("/coverage?national_id=084050000222&on=2026-02-28", headers=hospital)
    assert before.json()["covered"] is False and before.json()["group"] is None
    unknown = await exchange.get("/coverage?national_id=084050009999", headers=hospital)
    assert unknown.json()["covered"] is False
    # insurance:read includes the check; other scopes do not; the purpose is required; the ID must be 12 digits.
    reader = {**minter.headers("insurance:read"), "X-Purpose": "kiem tra"}
    assert (await exchange.get("/coverage?national_id=084050000222", headers=reader)).status_code == 200
    other = {**minter.headers("registry:read"), "X-Purpose": "x"}
    assert (await exchange.get("/coverage?national_id=084050000222", headers=other)).status_code == 403
    no_purpose = minter.headers("insurance:coverage")
    assert (await exchange.get("/coverage?national_id=084050000222", headers=no_purpose)).status_code == 422
    assert (await exchange.get("/coverage?national_id=84050000222", headers=hospital)).status_code == 422
    async with exchange.app.state.sessionmaker() as s:
        audit = (
            await s.execute(
                text(
                    "SELECT client_id, purpose, on_day, covered, national_id_digest "
                    "FROM insurance.coverage_reads ORDER BY id"
                )
            )
        ).all()
    assert [(a.client_id, a.purpose, a.on_day, a.covered) for a in audit[:3]] == [
        ("hospital-1", "kham benh", date(2026, 6, 15), True),
        ("hospital-1", "kham benh", date(2026, 2, 28), False),
        ("hospital-1", "kham benh", audit[2].on_day, False),
    ]
    assert all("084050000222" not in a.national_id_digest for a in audit)


async def test_coverage_is_rate_limited_per_client(exchange, minter):
    settings = exchange.app.state.settings
    settings.coverage_rate, settings.coverage_burst = 0.01, 3
    heavy = {**minter.headers("insurance:coverage", client_id="busy-app"), "X-Purpose": "x"}
    codes = [(await exchange.get("/coverage?national_id=084050000222", headers=heavy)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = await exchange.get("/coverage?national_id=084050000222", headers=heavy)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    other = {**minter.headers("insurance:coverage", client_id="quiet-app"), "X-Purpose": "x"}
    assert (await exchange.get("/coverage?national_id=084050000222", headers=other)).status_code == 200


async def test_bad_input_is_a_problem_naming_the_field(exchange, minter):
    hospital = {**minter.headers("insurance:coverage", client_id="hospital-2"), "X-Purpose": "kham benh"}
    cases = {
        "/coverage?national_id=08405000022x": "query.national_id",
        "/coverage?national_id=0840500002221": "query.national_id",
        "/coverage": "query.national_id",
        "/coverage?national_id=084050000222&on=2026-02-30": "query.on",
        "/coverage?national_id=084050000222&on=tomorrow": "query.on",
        "/coverage?national_id=084050000222&on=": "query.on",
    }
    for url, field in cases.items():
        r = await exchange.get(url, headers=hospital)
        assert r.status_code == 422, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert problem["status"] == 422 and problem["type"].endswith("validation-failed")
        assert [e["field"] for e in problem["errors"]] == [field], url
        assert problem["instance"] == "/coverage" and problem["request_id"] == r.headers["x-request-id"]
    for purpose in ("   ", "x" * 501):
        headers = {**hospital, "X-Purpose": purpose}
        r = await exchange.get("/coverage?national_id=084050000222", headers=headers)
        assert r.status_code == 422 and [e["field"].lower() for e in r.json()["errors"]] == ["header.x-purpose"]
    # Nothing refused was audited.
    async with exchange.app.state.sessionmaker() as s:
        count = await s.execute(text("SELECT count(*) FROM insurance.coverage_reads WHERE client_id = 'hospital-2'"))
        assert count.scalar() == 0


async def test_refusals_answer_alike_on_both_paths(exchange, minter):
    """No token 401, another scope 403 naming the scope, another method 405 with Allow; the answer's own shape."""
    r = await exchange.get("/coverage?national_id=084050000222", headers={"X-Purpose": "x"})
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    other = {**minter.headers("payments:read"), "X-Purpose": "x"}
    r = await exchange.get("/coverage?national_id=084050000222", headers=other)
    assert r.status_code == 403 and r.json()["required_scopes"] == ["insurance:coverage"]
    hospital = {**minter.headers("insurance:coverage"), "X-Purpose": "x"}
    r = await exchange.post("/coverage?national_id=084050000222", headers=hospital)
    assert r.status_code == 405 and "GET" in r.headers["allow"]
    r = await exchange.get("/coverage?national_id=084050000222&on=2026-06-15&extra=1", headers=hospital)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == {
        "on": "2026-06-15",
        "covered": False,
        "group": None,
        "benefit_level": None,
        "valid_from": None,
        "valid_to": None,
    }


async def test_coverage_calls_are_counted_under_their_route(exchange, minter):
    hospital = {**minter.headers("insurance:coverage"), "X-Purpose": "x"}
    assert (await exchange.get("/coverage?national_id=084050000222", headers=hospital)).status_code == 200
    assert (await exchange.get("/coverage?national_id=1", headers=hospital)).status_code == 422
    metrics = (await exchange.get("/metrics", headers=minter.headers("metrics:read"))).text
    assert 'http_requests_total{handler="/coverage",method="GET",status="200"} 1.0' in metrics
    assert 'http_requests_total{handler="/coverage",method="GET",status="422"} 1.0' in metrics


async def test_the_fast_path_and_the_route_give_the_same_answers(test_db, minter):
    """Byte for byte the same bodies (but the request id), statuses and content types, for answers and refusals."""
    hospital = {**minter.headers("insurance:coverage", client_id="same-app"), "X-Purpose": "kham benh"}
    requests = [
        ("GET", "/coverage?national_id=084050000222&on=2026-06-15", hospital),
        ("GET", "/coverage?national_id=084050000222&on=2026-06-15T00:00:00", hospital),
        ("GET", "/coverage?national_id=08405000022&on=2026-13-01", hospital),
        ("GET", "/coverage?on=2026-06-15", {**hospital, "X-Purpose": "y" * 501}),
        ("GET", "/coverage?national_id=084050000222", {**hospital, "X-Purpose": " "}),
        ("GET", "/coverage?national_id=084050000222", minter.headers("insurance:coverage")),
        ("GET", "/coverage?national_id=x", {**minter.headers("registry:read"), "X-Purpose": "x"}),
        ("DELETE", "/coverage?national_id=084050000222", hospital),
        # A week date: date.fromisoformat reads it, FastAPI's validation does not.
        ("GET", "/coverage?national_id=084050000222&on=2026-W24-1", hospital),
        # Repeated names (the last wins), escapes, a purpose in the query (only the header counts), a bare name.
        ("GET", "/coverage?national_id=1&national_id=084050000222&on=2026-06-15&flag", hospital),
        ("GET", "/coverage?national%5Fid=084050000222&on=2026%2D06%2D15", hospital),
        ("GET", "/coverage?national_id=084050000222&purpose=x", minter.headers("insurance:coverage")),
        ("GET", "/coverage?national_id=+84050000222", hospital),
    ]
    answers = {}
    for fast in (True, False):
        settings = InsuranceSettings(
            database_url=test_db.urls["insurance"], decisions_worker=False, daily=False, coverage_fast_path=fast
        )
        async with app_client(create_app(settings), keys=minter) as c:
            answers[fast] = []
            for method, url, headers in requests:
                r = await c.request(method, url, headers=headers)
                body = r.json()
                if isinstance(body, dict):
                    body.pop("request_id", None)
                answers[fast].append((r.status_code, r.headers["content-type"], body))
    assert [a[0] for a in answers[True]] == [200, 200, 422, 422, 422, 422, 403, 405, 422, 200, 200, 422, 422]
    assert answers[True] == answers[False]


async def test_a_database_outage_is_a_503_to_retry(exchange, minter, monkeypatch):
    """The database gone (restart, failover) while checking: 503 with Retry-After, never a 500."""
    from services.insurance.coverage import repository

    async def unreachable(*_args, **_kw):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(repository, "cards_on_audited", unreachable)
    hospital = {**minter.headers("insurance:coverage"), "X-Purpose": "x"}
    r = await exchange.get("/coverage?national_id=084050000222", headers=hospital)
    assert r.status_code == 503 and r.json()["type"].endswith("database-unavailable")
    assert int(r.headers["retry-after"]) >= 1


async def _committed_cards(admin_url: str, key: str, covered: list[str], unknown: list[str]) -> None:
    """Persons known to insurance by their national IDs' digests, those in ``covered`` with a BT card valid through
    2026 (committed: the calls below run outside any test transaction); ``unknown`` only as persons."""
    conn = await asyncpg.connect(admin_url)
    try:
        for nid in covered + unknown:
            person = uuid.uuid4()
            await conn.execute(
                "INSERT INTO insurance.persons (id, date_of_birth, sex, registered_on, national_id_digest, "
                "commune_code, district_code, province_code) "
                "VALUES ($1, DATE '1950-01-01', 'male', DATE '2020-01-01', $2, '99101', '991', '99')",
                person,
                digest(key, nid),
            )
            if nid in covered:
                await conn.execute(
                    "INSERT INTO insurance.cards (id, person_id, group_code, code, number, issuing_province, "
                    "valid_from, valid_to, commune_code, district_code, province_code) "
                    "VALUES ($1, $2, 'BT', 'BT286' || $3, $3, '86', DATE '2026-01-01', DATE '2026-12-31', "
                    "'99101', '991', '99')",
                    uuid.uuid4(),
                    person,
                    nid[2:],
                )
    finally:
        await conn.close()


async def test_concurrent_calls_are_answered_only_once_their_audit_rows_are_committed(test_db, minter):
    """Calls that arrive together are looked up and audited together (one statement, one commit): each caller gets its
    own answer, each call has its own audit row, and no answer leaves before the rows are committed — here the audit
    table is locked by another transaction, and nothing is answered until that transaction ends."""
    covered = [f"0840{i:08d}" for i in range(70000001, 70000007)]
    unknown = [f"0840{i:08d}" for i in range(70000101, 70000107)]
    settings = InsuranceSettings(database_url=test_db.urls["insurance"], decisions_worker=False, daily=False)
    await _committed_cards(test_db.admin_db_url, settings.identity_key.get_secret_value(), covered, unknown)
    app = create_app(settings)
    hospital = minter.headers("insurance:coverage", client_id="batch-hospital")
    asked = [(nid, True) for nid in covered] + [(nid, False) for nid in unknown]
    async with app_client(app, keys=minter, rollback=False) as c:
        # Warm: the pool's connections are open, so that every call below waits on the lock and nothing else.
        assert (
            await c.get(f"/coverage?national_id={covered[0]}", headers={**hospital, "X-Purpose": "warm"})
        ).is_success
        locker = await asyncpg.connect(test_db.admin_db_url)
        try:
            tx = locker.transaction()
            await tx.start()
            await locker.execute("LOCK TABLE insurance.coverage_reads IN SHARE MODE")
            calls = [
                asyncio.create_task(
                    c.get(f"/coverage?national_id={nid}&on=2026-06-15", headers={**hospital, "X-Purpose": f"p-{nid}"})
                )
                for nid, _ in asked
            ]
            done, _ = await asyncio.wait(calls, timeout=1.0)
            assert not done, "answered before the audit rows could be committed"
            await tx.commit()
        finally:
            await locker.close()
        answers = await asyncio.gather(*calls)
        batches = app.state.coverage_audit.batches
    assert [r.status_code for r in answers] == [200] * len(asked)
    assert [(r.json()["covered"], r.json()["group"]) for r in answers] == [
        (expected, "BT" if expected else None) for _, expected in asked
    ]
    conn = await asyncpg.connect(test_db.admin_db_url)
    try:
        rows = await conn.fetch(
            "SELECT purpose, covered, on_day FROM insurance.coverage_reads "
            "WHERE client_id = 'batch-hospital' AND purpose LIKE 'p-%'"
        )
    finally:
        await conn.close()
    assert sorted((r["purpose"], r["covered"]) for r in rows) == sorted((f"p-{nid}", exp) for nid, exp in asked)
    assert {r["on_day"] for r in rows} == {date(2026, 6, 15)}
    # The calls waiting behind the lock went together: fewer batches than calls (the warm-up call was one).
    assert batches - 1 < len(asked)


async def test_a_failed_batch_fails_each_of_its_calls_with_a_problem(test_db, minter, monkeypatch):
    """The batch's statement fails (the database went away mid-batch): every call of the batch is told so with a 503
    problem to retry — none is answered as if its audit row had been written — and the next calls go through."""
    from services.insurance.coverage import repository

    real = repository.cards_on_audited
    release, all_in = asyncio.Event(), asyncio.Event()
    seen: list[int] = []

    async def failing(sessionmaker, pool, calls):
        seen.append(len(calls))
        if sum(seen) == 12:
            all_in.set()
        await release.wait()
        raise ConnectionResetError("connection reset by peer")

    settings = InsuranceSettings(database_url=test_db.urls["insurance"], decisions_worker=False, daily=False)
    app = create_app(settings)
    hospital = {**minter.headers("insurance:coverage", client_id="failing-batch"), "X-Purpose": "x"}
    async with app_client(app, keys=minter, rollback=False) as c:
        monkeypatch.setattr(repository, "cards_on_audited", failing)
        calls = [asyncio.create_task(c.get(f"/coverage?national_id=0840{i:08d}", headers=hospital)) for i in range(12)]
        await asyncio.wait_for(all_in.wait(), 30)  # every call is in a batch, held
        release.set()
        answers = await asyncio.gather(*calls)
        monkeypatch.setattr(repository, "cards_on_audited", real)
        after = await c.get("/coverage?national_id=084000000001", headers=hospital)
    assert max(seen) > 1  # some calls did share a batch
    assert [r.status_code for r in answers] == [503] * 12
    assert all(r.json()["type"].endswith("database-unavailable") for r in answers)
    assert after.status_code == 200 and after.json()["covered"] is False
