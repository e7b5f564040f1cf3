"""Fault tests of the event backbone, on the real processes: nothing lost, nothing applied twice."""

from __future__ import annotations

import asyncio
import ssl
import time
import uuid
from collections import defaultdict

import httpx
import pytest
from sqlalchemy import text

from ansinh.clients import in_gateway_db
from ansinh.stack import repair_inbox
from gateway.auth import service as auth_service

pytestmark = pytest.mark.e2e

# One TLS context for the many short-lived clients below: httpx builds a new one (~30 ms of CPU, loading the CA
# bundle) for every client otherwise, which for the 1000-event test was half a minute of CPU on a 2-core machine.
# Each call still opens a connection of its own, as before (a service is stopped and killed in between).
TLS = ssl.create_default_context()


def http_client(base_url: str, timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, verify=TLS)


@pytest.fixture(scope="module")
async def admin(stack):
    client_id = f"e2e-admin-{uuid.uuid4().hex[:6]}"

    async def create(session):
        return (
            await auth_service.create_client(
                session, client_id, scopes=["admin"], areas=[], rate_per_second=10_000, burst=10_000
            )
        ).secret

    secret = await in_gateway_db(stack.config.urls()["gateway"], create)
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30) as http:
        r = await http.post("/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def publish(base_url: str, auth: dict, subject: str, count: int = 1) -> list[str]:
    async with http_client(base_url, 20) as http:
        r = await http.post("/events/canary", json={"subject": subject, "count": count}, headers=auth)
        assert r.status_code == 202, r.text
        return r.json()["published"]


async def receipts(stack, service: str, auth: dict, subject_prefix: str) -> list[dict]:
    async with http_client(stack.url(service), 10) as http:
        r = await http.get("/events/canaries", params={"limit": 10_000, "subject_prefix": subject_prefix}, headers=auth)
        assert r.status_code == 200, r.text
        assert all(x["subject"].startswith(subject_prefix) for x in r.json()["receipts"])
        return r.json()["receipts"]


async def wait_for(stack, service: str, auth: dict, prefix: str, expected: int, within: float = 60) -> list[dict]:
    deadline = time.monotonic() + within
    while True:
        got = await receipts(stack, service, auth, prefix)
        if len(got) >= expected or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.25)


async def test_published_events_reach_every_consumer_once(stack, admin):
    ids = await publish(stack.url("registry"), admin, "basic-1", count=5)
    for consumer in ("payments", "insurance", "child_protection"):
        got = await wait_for(stack, consumer, admin, "basic-", 5)
        assert sorted(r["event_id"] for r in got) == sorted(ids)
    assert await receipts(stack, "registry", admin, "basic-") == []  # not its own


async def test_gateway_down_while_a_service_commits(stack, admin):
    stack.stop_one("gateway")
    try:
        # The registry verifies the (cached) token itself and commits; its relay cannot reach the hub.
        ids = await publish(stack.url("registry"), admin, "gw-down-1", count=10)
        await asyncio.sleep(1.0)
        assert await receipts(stack, "payments", admin, "gw-down-") == []
    finally:
        stack.start_one("gateway")
        stack.wait_ready(components=("gateway",))
    got = await wait_for(stack, "payments", admin, "gw-down-", 10)
    assert sorted(r["event_id"] for r in got) == sorted(ids)


async def test_consumer_down_is_retried_until_it_returns(stack, admin):
    stack.stop_one("insurance")
    try:
        ids = await publish(stack.url("registry"), admin, "consumer-down-1", count=5)
        await wait_for(stack, "payments", admin, "consumer-down-", 5)  # others get them meanwhile
    finally:
        stack.start_one("insurance")
        stack.wait_ready(components=("insurance",))
    got = await wait_for(stack, "insurance", admin, "consumer-down-", 5)
    assert sorted(r["event_id"] for r in got) == sorted(ids)


async def test_relay_killed_mid_stream_loses_nothing_and_applies_nothing_twice(stack, admin):
    async def burst() -> list[str]:
        published = []
        for i in range(40):
            try:
                published += await publish(stack.url("registry"), admin, f"kill-{i % 5}", count=10)
            except httpx.TransportError:
                break
        return published

    task = asyncio.create_task(burst())
    await asyncio.sleep(0.4)
    stack.kill("registry")  # SIGKILL while committing and relaying
    ids = await task
    stack.start_one("registry")
    stack.wait_ready(components=("registry",))
    assert ids, "nothing was published before the kill"
    got = await wait_for(stack, "payments", admin, "kill-", len(ids))
    received = [r["event_id"] for r in got]
    assert len(received) == len(set(received)), "an event was applied twice"
    # Every committed event arrives (a request cut by the kill may have committed without answering).
    assert set(ids) <= set(received)


async def test_per_subject_order_is_kept_for_1000_events_on_50_subjects(stack, admin):
    prefix = f"order-{uuid.uuid4().hex[:6]}-"
    for _round in range(20):  # 20 × 50 subjects, 1 event each per round
        await asyncio.gather(*(publish(stack.url("registry"), admin, f"{prefix}{s}") for s in range(50)))
    got = await wait_for(stack, "child_protection", admin, prefix, 1000, within=120)
    assert len(got) == 1000
    by_subject: dict[str, list[int]] = defaultdict(list)
    for r in got:  # arrival order at the consumer
        by_subject[r["subject"]].append(r["sequence"])
    assert len(by_subject) == 50
    assert all(seqs == list(range(1, 21)) for seqs in by_subject.values())


async def ready(stack, service: str) -> httpx.Response:
    async with http_client(stack.url(service), 5) as http:
        return await http.get("/ready")


async def until_ready_is(stack, service: str, status: int, within: float = 30) -> httpx.Response:
    deadline = time.monotonic() + within
    while (r := await ready(stack, service)).status_code != status:
        assert time.monotonic() < deadline, f"{service} /ready stayed {r.status_code}: {r.text}"
        await asyncio.sleep(0.2)
    return r


async def test_an_ended_inbox_makes_the_service_unready_and_repair_delivers_the_gap_once(stack, admin):
    # Check every half second instead of every minute, for this test only.
    stack.stop_one("payments")
    stack.start_one("payments", {**stack.config.environ(), "PAYMENTS_EVENTS_SUBSCRIPTION_CHECK_SECONDS": "0.5"})
    try:
        stack.wait_ready(components=("payments",))
        assert (await ready(stack, "payments")).json()["checks"] == {"database": "ok", "subscription": "ok"}

        async def end(session):  # by hand in the hub's database: the API refuses (409)
            await session.execute(
                text("UPDATE gateway.subscriptions SET deleted_at = now() WHERE name = 'payments-inbox'")
            )

        await in_gateway_db(stack.config.urls()["gateway"], end)
        r = await until_ready_is(stack, "payments", 503)
        assert r.headers["content-type"] == "application/problem+json"
        assert "'payments-inbox'" in r.json()["detail"] and "is deleted" in r.json()["detail"]
        assert "ansinh events repair payments" in r.json()["detail"]
        assert (await ready(stack, "insurance")).status_code == 200  # the others are fine

        prefix = f"gap-{uuid.uuid4().hex[:6]}-"
        ids = await publish(stack.url("registry"), admin, f"{prefix}a", count=5)
        ids += await publish(stack.url("registry"), admin, f"{prefix}b", count=2)
        await wait_for(stack, "insurance", admin, prefix, 7)
        await asyncio.sleep(0.5)
        assert await receipts(stack, "payments", admin, prefix) == []  # lost, until repaired

        done = await repair_inbox(stack.config, "payments")
        assert (done.found, done.replayed) == ("deleted", 7)
        got = await wait_for(stack, "payments", admin, prefix, 7)
        assert sorted(r["event_id"] for r in got) == sorted(ids)  # every one, once
        assert [r["sequence"] for r in got if r["subject"] == f"{prefix}a"] == [1, 2, 3, 4, 5]
        assert (await until_ready_is(stack, "payments", 200)).json()["checks"]["subscription"] == "ok"
    finally:
        stack.stop_one("payments")
        stack.start_one("payments")
        stack.wait_ready(components=("payments",))
