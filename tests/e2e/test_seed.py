"""Issue 15, item 5, on real processes: a province seeded at a tiny scale through the API, then one more month run by
hand (payroll, the post office's file with some lines unpaid, reconciliation, the unpaid carried into the next
payroll), and the year-end report's monthly-allowance section equals the ledger exactly and its person counts the
registry's.

The seed pays months of the current year, so it runs on a stack of its own (its own database): the other e2e modules
pay the same periods on the package's stack.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from ansinh.database import COMPONENTS, drop_database, env_prefix, in_gateway_db
from ansinh.seed.api import Api
from ansinh.seed.run import ROLES, Options, add_months, month_text, seed
from ansinh.seed.world import CENTRE_CASH, RAISED_FOR_ONE_CHILD, build
from ansinh.stack import Stack, StackConfig, prepare_database
from common import clock
from common.testing import free_port
from gateway.auth import service as auth_service

from .conftest import Tee

pytestmark = pytest.mark.e2e

SEED_DB = "ansinh_e2e_seed"
SCALE = 0.002  # 66 beneficiaries, 207 children under 6, every 2025 commune
ISSUED = ("regular", "arrears", "recovery", "to_recover", "to_recover_offset")


@pytest.fixture(scope="module")
async def seed_stack(test_db):
    await drop_database(test_db.admin_url, SEED_DB)
    ports = {c: free_port() for c in ("gateway", "registry", "payments", "insurance", "child_protection")}
    # Small pools: this stack may run beside the package's (one PostgreSQL, 100 connections).
    env = {
        f"{env_prefix(c)}{name}": value
        for c in COMPONENTS
        for name, value in (("DB_POOL_SIZE", "3"), ("DB_MAX_OVERFLOW", "2"))
    }
    env |= {"INSURANCE_IDENTITY_KEY": secrets.token_urlsafe(32), "GATEWAY_TOKEN_TTL_SECONDS": "3600"}
    config = StackConfig(
        admin_url=test_db.admin_url,
        database=SEED_DB,
        passwords=test_db.passwords,
        ports=ports,
        environment="test",
        extra_env=env,
    )
    await prepare_database(config)
    logs = Tee()
    running = Stack(config, out=logs)
    try:
        running.start_all(timeout=60)
        yield running
    finally:
        running.stop()
        import sys

        sys.stdout.write("".join(logs.lines[-200:]))
        await drop_database(test_db.admin_url, SEED_DB)


class Interrupted(Exception):
    pass


async def sql(stack: Stack, component: str, query: str, **params: Any) -> list[dict[str, Any]]:
    async def work(session):  # type: ignore[no-untyped-def]
        return [dict(r._mapping) for r in await session.execute(text(query), params)]

    return await in_gateway_db(stack.config.urls()[component], work)


async def credentials(stack: Stack) -> dict[str, tuple[str, str]]:
    out = {}
    for role, scopes in [*ROLES.items(), ("reporter", ["reports:read", "registry:read"])]:
        client_id = f"seed-e2e-{role}"

        async def create(session, client_id=client_id, scopes=scopes):  # type: ignore[no-untyped-def]
            return (
                await auth_service.create_client(
                    session, client_id, scopes=scopes, areas=[], rate_per_second=2000, burst=4000
                )
            ).secret

        out[role] = (client_id, await in_gateway_db(stack.config.urls()["gateway"], create))
    return out


async def test_a_seeded_province_runs_a_month_and_the_report_equals_the_ledger(seed_stack, tmp_path, monkeypatch):
    stack = seed_stack
    today = clock.today()
    month = today.replace(day=1) if today.month > 1 else date(today.year - 1, 12, 1)
    year = month.year
    creds = await credentials(stack)
    state = tmp_path / "seed.json"
    options = Options(scale=SCALE, seed=7, year=year, through=add_months(month, -1), months=2, today=today)
    # Stopped in the middle of the approvals (as by Ctrl-C): the registry approved a bulk request, the seed did not
    # record its answer.
    real_call = Api.call

    async def interrupted(self, role, method, path, **kw):  # type: ignore[no-untyped-def]
        r = await real_call(self, role, method, path, **kw)
        if path == "/registry/applications/approvals":
            assert r.json()["approved"] > 0
            raise Interrupted
        return r

    monkeypatch.setattr(Api, "call", interrupted)
    with pytest.raises(Interrupted):
        await seed(stack.url("gateway"), creds, options, state, progress=False)
    monkeypatch.setattr(Api, "call", real_call)
    assert json.loads(state.read_text())["done"] == ["persons", "households"]

    done = await seed(stack.url("gateway"), creds, options, state, progress=False)
    assert done.persons > 300 and done.beneficiaries == 66
    recorded = json.loads(state.read_text())
    assert "child_protection" in recorded["done"] and len(recorded["beneficiaries"]) == 66
    [counts] = await sql(
        stack,
        "registry",
        """
        SELECT (SELECT count(*) FROM registry.applications) AS applications,
               (SELECT count(*) FROM registry.beneficiaries) AS beneficiaries,
               (SELECT count(DISTINCT national_id) FROM registry.persons) AS persons,
               (SELECT count(*) FROM registry.persons) AS records""",
    )
    assert counts == {"applications": 66, "beneficiaries": 66, "persons": done.persons, "records": done.persons}
    # Resumable: a second run finds everything done and sends nothing but token requests.
    again = await seed(stack.url("gateway"), creds, options, state, progress=False)
    assert again.calls == 0

    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=60) as gw:

        async def headers(role: str) -> dict[str, str]:
            client_id, secret = creds[role]
            r = await gw.post("/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        officer, checker, postal = await headers("officer"), await headers("checker"), await headers("postal")
        reporter = await headers("reporter")
        # The seed's months are paid: every line that pays something has the post office's result.
        missing = await sql(
            stack,
            "payments",
            """
            SELECT p.programme, p.period, l.total, l.recovery FROM payments.payroll_lines l
            JOIN payments.payrolls p ON p.id = l.payroll_id
            WHERE l.total > 0 AND NOT EXISTS (SELECT 1 FROM payments.line_results r WHERE r.line_id = l.id)""",
        )
        assert missing == []
        print("seed timings", recorded["timings"])

        # The month run by hand: payroll by one client, approval by another.
        period = month_text(month)
        r = await gw.post(
            "/payments/payrolls", headers=officer, json={"programme": "monthly_allowance", "period": period}
        )
        assert r.status_code == 201, r.text
        payroll = r.json()
        assert payroll["totals"]["line_count"] > 50
        assert (await gw.post(f"/payments/payrolls/{payroll['id']}/review", headers=officer)).status_code == 200
        r = await gw.post(f"/payments/payrolls/{payroll['id']}/approve", headers=checker)
        assert r.status_code == 200, r.text
        # The post office: every batch's file filled in, the first line of each batch not paid.
        r = await gw.get("/payments/batches", params={"payroll": payroll["id"], "limit": 100}, headers=postal)
        batches = r.json()["items"]
        assert len(batches) > 10
        unpaid = 0  # VND not paid
        for batch in batches:
            r = await gw.get(f"/payments/batches/{batch['id']}/download", params={"format": "csv"}, headers=postal)
            rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
            col = {h: i for i, h in enumerate(rows[0])}
            for n, row in enumerate(rows[1:]):
                if n == 0:
                    row[col["Kết quả"]], row[col["Lý do"]] = "Chưa chi trả", "Vắng nhà"
                    unpaid += int(row[col["Số tiền"]])
                else:
                    row[col["Kết quả"]], row[col["Ngày chi trả"]] = "Đã chi trả", today.strftime("%d/%m/%Y")
                    row[col["Người nhận"]], row[col["Số biên nhận"]] = "Người hưởng", f"BN-{n}"
                    row[col["Số tiền đã chi"]] = row[col["Số tiền"]]
            buffer = io.StringIO()
            csv.writer(buffer).writerows(rows)
            r = await gw.post(
                f"/payments/batches/{batch['id']}/results/file",
                headers={**postal, "Content-Type": "text/csv"},
                content=buffer.getvalue().encode("utf-8-sig"),
            )
            assert r.status_code == 200 and r.json()["conflicts"] == 0, r.text
        r = await gw.post("/payments/reconciliation/run", headers=officer)
        assert r.status_code == 200, r.text

        # Carry-over: the next month's payroll takes in exactly what was not paid.
        [carried] = await sql(
            stack,
            "payments",
            """
            SELECT coalesce(sum(amount), 0)::bigint AS amount, count(*) AS n FROM payments.ledger_entries
            WHERE kind = 'carried' AND amount > 0 AND payroll_id = :p""",
            p=payroll["id"],
        )
        assert carried["amount"] == unpaid > 0
        r = await gw.post(
            "/payments/payrolls",
            headers=officer,
            json={"programme": "monthly_allowance", "period": month_text(add_months(month, 1))},
        )
        assert r.status_code == 201, r.text
        assert r.json()["totals"]["carried"] == carried["amount"]

        # The year-end report's monthly allowance equals the ledger, and its persons the registry's.
        r = r_report = await gw.get("/reports/annual", params={"year": year}, headers=reporter)
        assert r.status_code == 200, r.text
        allowance = next(s for s in r.json()["sections"] if s["key"] == "monthly_allowance")["figures"]
        rows = await sql(
            stack,
            "payments",
            """
            SELECT kind, sum(amount)::bigint AS amount FROM payments.ledger_entries
            WHERE programme = 'monthly_allowance' AND period_first BETWEEN :a AND :b GROUP BY kind""",
            a=date(year, 1, 1),
            b=date(year, 12, 31),
        )
        ledger = {row["kind"]: row["amount"] for row in rows}
        assert ledger["recovery"] < 0 or ledger.get("to_recover", 0) > 0  # the late deaths
        assert allowance["ledger"]["issued"] == sum(ledger.get(k, 0) for k in ISSUED)
        assert allowance["ledger"]["paid"] == ledger["paid"] > 0 and ledger["carried"] > 0
        for kind in ("regular", "arrears", "recovery", "to_recover", "paid", "carried", "held", "returned"):
            assert allowance["ledger"].get(kind, 0) == ledger.get(kind, 0), kind
        r = await gw.get(
            "/registry/reports/beneficiaries", params={"month": f"{year}-12", "by": "province"}, headers=reporter
        )
        assert allowance["beneficiaries"] == r.json()["total"]["beneficiaries"]
        assert allowance["amount_month"] == r.json()["total"]["amount"]
        [counted] = await sql(
            stack,
            "registry",
            """
            SELECT count(*) AS n FROM registry.beneficiaries WHERE status = 'active'""",
        )
        assert allowance["beneficiaries"] <= counted["n"]
        # By category, as the registry's records have it (every active beneficiary of the seed is paid in December:
        # the single parents for the children of their household, the 5.2 students while they study).
        rows = await sql(
            stack,
            "registry",
            """
            SELECT c AS category, count(*) AS n FROM registry.beneficiaries b
            JOIN registry.decisions d ON d.beneficiary_id = b.id AND d.kind = 'approve', unnest(d.categories) c
            WHERE b.status = 'active' GROUP BY c""",
        )
        assert allowance["categories"] == {r["category"]: r["n"] for r in rows}
        assert len(allowance["categories"]) >= 3

        world = build(7, SCALE, year, options.resolved()[1], today)
        sections = {s["key"]: s["figures"] for s in r_report.json()["sections"]}
        # The centre's donations, in cash and in kind, equal what was given.
        [centre] = [f for f in sections["residential"]["facilities"] if f["name"].endswith("(seed)")]
        given = {"cash": 0, "in_kind": 0}
        for d in world.donations:
            given[str(d["form"])] += int(d["value"])  # type: ignore[call-overload]
        assert (centre["cash"], centre["in_kind"]) == (given["cash"], given["in_kind"]) and given["in_kind"] > 0
        assert centre["total"] == CENTRE_CASH + RAISED_FOR_ONE_CHILD
        # Child protection: the cases taken through a plan gave their support, paid by the post office; the cases
        # closed and the children in alternative care are those the seed took so far.
        planned = [c for c in world.cases if c["depth"] != "assessed"]
        support = sections["children"]["given"]["total"]
        assert support["approved"] == support["paid"] == len(planned) > 0
        assert support["amount_approved"] == support["amount_paid"] == sum(int(c["support"]) for c in planned)  # type: ignore[call-overload]
        statuses = await sql(
            stack, "child_protection", "SELECT status, count(*) AS n FROM child_protection.cases GROUP BY status"
        )
        depth = {"assessed": "initially_assessed", "support": "in_support", "care": "in_support", "closed": "closed"}
        expected: dict[str, int] = {}
        for c in world.cases:
            expected[depth[str(c["depth"])]] = expected.get(depth[str(c["depth"])], 0) + 1
        assert {r["status"]: r["n"] for r in statuses} == expected
        [placed] = await sql(stack, "child_protection", "SELECT count(*) AS n FROM child_protection.placements")
        assert placed["n"] == sum(1 for c in world.cases if c["depth"] == "care") > 0
