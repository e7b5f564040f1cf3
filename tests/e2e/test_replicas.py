"""Several replicas on one machine, as a deployment with more than one of each runs them (docs/operations.md):

* two gateways sharing each client's rate limit through Redis (127.0.0.1:6379 here and in CI; a key prefix of this
  test's own): together they let through what one would, not twice as much;
* two payments processes on one database: a payroll generated on both at once exists once, an event delivered to
  both at once is applied once, and the daily reconciliation due at the same minute in both runs once that day.

The replicas are extra processes beside the package's stack (which keeps running for the other tests), with small
connection pools so that everything fits a default PostgreSQL's 100 connections.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks.webhooks import Webhook

from ansinh.clients import in_gateway_db
from ansinh.stack import Stack
from common.clock import VIETNAM_TZ
from common.settings import to_asyncpg_url
from common.testing import free_port
from gateway.auth import service as auth_service

from .conftest import Tee

pytestmark = pytest.mark.e2e

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SMALL_POOLS = {
    f"{prefix}_{name}": value
    for prefix in ("GATEWAY", "PAYMENTS")
    for name, value in (("DB_POOL_SIZE", "2"), ("DB_MAX_OVERFLOW", "2"))
}


def replica(stack, component: str, logs: Tee, **env: str) -> Stack:
    """One more process of ``component`` on a port of its own, sharing the stack's database and secrets."""
    config = dataclasses.replace(
        stack.config,
        ports={**stack.config.ports, component: free_port()},
        extra_env={**stack.config.extra_env, **SMALL_POOLS, **env},
    )
    extra = Stack(config, out=logs)
    extra.start_one(component)
    return extra


@contextmanager
def replicas(stack, component: str, count: int, **env: str) -> Iterator[list[Stack]]:
    logs = Tee()
    extra = [replica(stack, component, logs, **env) for _ in range(count)]
    for one in extra:
        one.logs = logs  # type: ignore[attr-defined]  # the replicas' log lines, for assertions
    try:
        for one in extra:
            one.wait_ready(120, (component,))
        yield extra
    finally:
        for one in extra:
            one.stop()


async def client(stack, scopes: list[str], *, rate: int = 10_000, burst: int = 10_000) -> dict[str, str]:
    client_id = f"e2e-replicas-{uuid.uuid4().hex[:8]}"

    async def create(session):  # type: ignore[no-untyped-def]
        return (
            await auth_service.create_client(
                session, client_id, scopes=scopes, areas=[], rate_per_second=rate, burst=burst
            )
        ).secret

    secret = await in_gateway_db(stack.config.urls()["gateway"], create)
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30) as http:
        r = await http.post("/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def sql(stack, query: str, **params):  # type: ignore[no-untyped-def]
    engine = create_async_engine(to_asyncpg_url(stack.config.urls()["payments"]))
    try:
        async with engine.begin() as conn:
            return (await conn.execute(text(query), params)).all()
    finally:
        await engine.dispose()


async def test_two_gateways_share_a_client_rate_limit_through_redis(stack):
    import redis.asyncio as redis

    probe = redis.from_url(REDIS_URL)
    try:
        await probe.ping()
    except OSError as exc:
        pytest.fail(f"Redis is required for this test at {REDIS_URL} (CI has it on 127.0.0.1:6379): {exc}")
    finally:
        await probe.aclose()
    prefix = f"ansinh:e2e:{uuid.uuid4().hex}:"
    auth = await client(stack, ["registry:read"], rate=1, burst=5)
    with replicas(stack, "gateway", 2, GATEWAY_REDIS_URL=REDIS_URL, GATEWAY_REDIS_PREFIX=prefix) as (a, b):
        async with httpx.AsyncClient(timeout=30) as http:
            start = time.monotonic()
            answers = await asyncio.gather(
                *(http.get(g.url("gateway") + "/registry/me", headers=auth) for _ in range(10) for g in (a, b))
            )
            elapsed = time.monotonic() - start
    passed = [r for r in answers if r.status_code == 200]
    refused = [r for r in answers if r.status_code == 429]
    assert len(passed) + len(refused) == 20, [r.status_code for r in answers]
    # One bucket of 5 refilled at 1/s for the seconds the 20 requests took; two buckets of their own would have
    # passed 10 at once.
    assert 5 <= len(passed) <= 5 + int(elapsed) + 1 and len(passed) < 10, (len(passed), elapsed)
    for r in refused:
        assert r.headers["content-type"].startswith("application/problem+json")
        assert int(r.headers["retry-after"]) >= 1 and r.json()["status"] == 429
    # Both gateways refused some: the bucket is one, whichever replica a request reaches.
    assert {str(r.url).split("/registry")[0] for r in refused} == {a.url("gateway"), b.url("gateway")}
    probe = redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in probe.scan_iter(match=prefix + "*")]
        assert len(keys) == 1
        await probe.delete(*keys)
    finally:
        await probe.aclose()


def scheduled(logs: Tee, job: str) -> list[datetime]:
    """The next runs of ``job`` the replicas logged at start (``<job>_scheduled``, common/daily.py)."""
    found = []
    for line in logs.lines:
        body = line.split(" | ", 1)[-1]
        if f'"{job}_scheduled"' in body:
            found.append(datetime.fromisoformat(json.loads(body)["at"]))
    return found


@contextmanager
def payments_replicas_with_the_reconciliation_due_soon(stack) -> Iterator[tuple[Stack, Stack, datetime]]:
    """Two payments replicas whose daily reconciliation is due at the same second, a few seconds after both are up.

    The time of a daily job is read once, at start (``PAYMENTS_RECONCILIATION_AT``, to the second), so it is chosen
    before the processes start: ``margin`` seconds ahead. Once both are ready their ``reconciliation_scheduled`` lines
    tell whether both still saw it ahead (today); if one started too late on a loaded machine (it would run tomorrow),
    both are stopped and started again with twice the margin. No fixed wait: the test then waits for the run itself.
    """
    margin = 20
    for _attempt in range(4):
        due = (datetime.now(UTC) + timedelta(seconds=margin)).astimezone(VIETNAM_TZ).replace(microsecond=0)
        with replicas(stack, "payments", 2, PAYMENTS_RECONCILIATION_AT=due.strftime("%H:%M:%S")) as (a, b):
            logs: Tee = a.logs  # type: ignore[attr-defined]
            deadline = time.monotonic() + 60  # the lines are logged before /ready answers, and read by another thread
            while len(seen := scheduled(logs, "reconciliation")) < 2:
                assert time.monotonic() < deadline, f"the replicas logged no reconciliation_scheduled: {seen}"
                time.sleep(0.1)
            if seen == [due, due]:
                yield a, b, due
                return
            print(f"reconciliation due at {due} was not ahead of both replicas once started: {seen}; again")
        margin *= 2
    pytest.fail(f"the payments replicas never started within {margin // 2} s")


async def test_two_payments_processes_generate_a_payroll_once_apply_an_event_once_run_a_day_once(stack):
    maker = await client(stack, ["payments:read", "payments:write"])
    admin = await client(stack, ["admin"])
    # The daily reconciliation is due in both replicas at the same second, a few seconds after both are up.
    with payments_replicas_with_the_reconciliation_due_soon(stack) as (a, b, at):
        async with httpx.AsyncClient(timeout=60) as http:
            # 1. The same payroll asked of both at once: one is generated, the other is told it exists.
            period = "2031-01"
            answers = await asyncio.gather(
                *(
                    http.post(
                        p.url("payments") + "/payrolls", headers=maker, json={"programme": "funeral", "period": period}
                    )
                    for p in (a, b, a, b)
                )
            )
            try:
                assert sorted(r.status_code for r in answers) == [201, 409, 409, 409], [r.text for r in answers]
                assert {r.json()["type"].rsplit("/", 1)[-1] for r in answers if r.status_code == 409} == {
                    "payroll-exists"
                }
                rows = await sql(
                    stack,
                    "SELECT count(*) FROM payments.payrolls WHERE programme = 'funeral' AND period = :p",
                    p=period,
                )
                assert rows[0][0] == 1
            finally:  # leave nothing pending for the other tests' funeral payrolls
                await sql(
                    stack,
                    """
                    WITH p AS (DELETE FROM payments.payrolls WHERE programme = 'funeral' AND period = :p RETURNING id),
                         l AS (DELETE FROM payments.payroll_lines WHERE payroll_id IN (SELECT id FROM p)),
                         m AS (DELETE FROM payments.payroll_line_months WHERE payroll_id IN (SELECT id FROM p))
                    SELECT count(*) FROM p""",
                    p=period,
                )

            # 2. The same signed delivery to both at once (a hub retry landing on the other replica): applied once.
            webhook = Webhook(stack.config.event_secrets["payments"]["inbox_secret"])
            subject = f"replicas-{uuid.uuid4().hex[:8]}"
            events = [
                {
                    "specversion": "1.0",
                    "id": str(uuid.uuid4()),
                    "source": "/ansinh/registry",
                    "type": "registry.canary.to_payments.v1",
                    "subject": subject,
                    "sequence": n,
                    "time": datetime.now(UTC).isoformat(),
                    "datacontenttype": "application/json",
                    "data": {"note": "replicas", "published_at": datetime.now(UTC).isoformat()},
                }
                for n in (1, 2, 3)
            ]

            def signed(event: dict) -> tuple[bytes, dict[str, str]]:
                body = json.dumps(event).encode()
                now = datetime.now(UTC)
                return body, {
                    "webhook-id": event["id"],
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": webhook.sign(event["id"], now, body),
                    "content-type": "application/json",
                }

            deliveries = [signed(e) for e in events]
            answers = await asyncio.gather(
                *(
                    http.post(p.url("payments") + "/events/inbox", content=body, headers=headers)
                    for body, headers in deliveries
                    for p in (a, b, a, b)
                )
            )
            assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
            statuses = [r.json()["status"] for r in answers]
            assert sorted(statuses) == ["applied"] * 3 + ["duplicate"] * 9
            for event in events:  # each event: exactly one "applied" among its four deliveries
                assert [r.json()["status"] for r in answers if r.json()["event_id"] == event["id"]].count(
                    "applied"
                ) == 1
            r = await http.get(
                a.url("payments") + "/events/canaries", headers=admin, params={"subject_prefix": subject, "limit": 100}
            )
            assert r.status_code == 200, r.text
            assert sorted(x["event_id"] for x in r.json()["receipts"]) == sorted(e["id"] for e in events)

            # 3. The daily job due in both at the same time runs once: one claim row, one run, one skip.
            today = at.date()
            deadline = time.monotonic() + 240
            while True:
                runs = await sql(
                    stack,
                    "SELECT status, owner FROM payments.job_runs WHERE job = 'reconciliation' AND day = :d",
                    d=today,
                )
                if runs and runs[0][0] == "done":
                    break
                assert time.monotonic() < deadline, f"no reconciliation run recorded for {today} (due at {at})"
                await asyncio.sleep(1)
            assert len(runs) == 1
            owner_pid = int(runs[0][1].rsplit(":", 1)[1])
            assert owner_pid in {p.procs["payments"].pid for p in (a, b)}
            # The other replica wakes at the same second and finds the day claimed.
            deadline = time.monotonic() + 60
            while sum("reconciliation_skipped" in line for line in a.logs.lines) < 1:  # type: ignore[attr-defined]
                assert time.monotonic() < deadline, "the second replica did not skip the claimed day"
                await asyncio.sleep(0.5)
    lines = a.logs.lines  # type: ignore[attr-defined]
    assert sum("reconciliation_done" in line for line in lines) == 1
    assert sum("reconciliation_skipped" in line for line in lines) == 1
