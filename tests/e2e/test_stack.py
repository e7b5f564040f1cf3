"""The suite as a partner meets it: real processes, HTTP through the gateway."""

import asyncio
import json
import time

import httpx
import pytest

from common.settings import SERVICES, public_prefix

pytestmark = pytest.mark.e2e


async def test_every_service_answers_through_the_gateway(stack):
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=5) as client:
        for service in SERVICES:
            r = await client.get(f"{public_prefix(service)}/health", headers={"x-request-id": f"e2e-{service}"})
            assert r.status_code == 200, r.text
            assert r.json() == {"status": "ok", "service": service}
            assert r.headers["x-request-id"] == f"e2e-{service}"
            # The inbox subscription is checked at start, and again within seconds when the gateway (started
            # after the services) could not be asked yet.
            deadline = time.monotonic() + 30
            while (ready := await client.get(f"{public_prefix(service)}/ready")).json()["checks"] != {
                "database": "ok",
                "subscription": "ok",
            }:
                assert ready.status_code == 200 and time.monotonic() < deadline, ready.text
                await asyncio.sleep(0.2)


async def test_a_dead_service_gives_502_while_others_keep_working(stack):
    stack.stop_one("insurance")
    try:
        async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=5) as client:
            r = await client.get("/insurance/health", headers={"x-request-id": "trace-me-42"})
            assert r.status_code == 502
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["type"].endswith("/bad-gateway")
            for service in ("registry", "payments", "child_protection"):
                assert (await client.get(f"{public_prefix(service)}/health")).status_code == 200
        # The gateway's JSON log says what failed, for which request.
        logged = [
            json.loads(line.split(" | ", 1)[1])
            for line in stack.out.lines
            if line.startswith("gateway") and "trace-me-42" in line
        ]
        assert [(e["event"], e["service"], e["level"]) for e in logged] == [
            ("upstream_unreachable", "insurance", "warning")
        ]
    finally:
        stack.start_one("insurance")
        stack.wait_ready(components=("insurance",))
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=5) as client:
        assert (await client.get("/insurance/health")).status_code == 200
