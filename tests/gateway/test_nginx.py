"""The nginx data plane's decision endpoint (``/auth/check``) and what nginx may cache.

The answers through nginx are the gateway tests themselves (``http`` runs them in both arrangements); these check the
contract between nginx and the gateway: what a pass, a refusal and a cacheable pass look like.
"""

import asyncio
import json
import math
import time

import httpx
import pytest


@pytest.fixture
async def direct(door):
    async with httpx.AsyncClient(base_url=door.url, timeout=10) as client:
        yield client


def _asked(auth: dict[str, str], method: str, uri: str, service: str = "registry") -> dict[str, str]:
    return {**auth, "x-original-method": method, "x-original-uri": uri, "x-ansinh-service": service}


async def test_a_pass_is_cacheable_only_for_clients_whose_limit_nginx_cannot_bypass(door, direct):
    fast = await door.bearer("registry:read", rate=5000, burst=5000)
    r = await direct.get("/auth/check", headers=_asked(fast, "GET", "/registry/scoped/read?x=1"))
    assert r.status_code == 200 and r.content == b""
    assert 1 <= int(r.headers["x-accel-expires"]) <= door.gateway.state.settings.auth_cache_seconds
    ordinary = await door.bearer("registry:read", rate=20, burst=40)
    r = await direct.get("/auth/check", headers=_asked(ordinary, "GET", "/registry/scoped/read"))
    assert r.status_code == 200 and "x-accel-expires" not in r.headers  # its rate limit counts every request


async def test_a_refusal_is_a_403_carrying_the_proxy_paths_answer(door, direct, limiter_clock):
    reader = await door.bearer("registry:read")
    r = await direct.get("/auth/check", headers=_asked(reader, "POST", "/registry/scoped/write"))
    assert r.status_code == 403 and r.headers["x-ansinh-status"] == "403" and "x-accel-expires" not in r.headers
    carried = json.loads(r.headers["x-ansinh-problem"])
    proxied = await direct.post("/registry/scoped/write", headers=reader)
    assert proxied.status_code == 403
    assert {k: v for k, v in carried.items() if k != "request_id"} == {
        k: v for k, v in proxied.json().items() if k != "request_id"
    }
    r = await direct.get("/auth/check", headers=_asked({}, "GET", "/registry/scoped/read"))
    assert r.headers["x-ansinh-status"] == "401" and r.headers["x-ansinh-www-authenticate"].startswith("Bearer")
    limited = await door.bearer("registry:read", rate=1, burst=1)
    statuses = [
        (await direct.get("/auth/check", headers=_asked(limited, "GET", "/registry/scoped/read"))) for _ in range(2)
    ]
    assert statuses[0].status_code == 200 and statuses[1].headers["x-ansinh-status"] == "429"
    assert int(statuses[1].headers["x-ansinh-retry-after"]) >= 1


async def test_a_route_nginx_sent_to_another_service_than_the_gateway_would_is_refused(door, direct):
    # nginx routes by its normalised path, the gateway decides on the raw one: they must agree on the service
    reader = await door.bearer("registry:read", "payments:read")
    r = await direct.get("/auth/check", headers=_asked(reader, "GET", "/registry/../payments/x", "payments"))
    assert r.headers["x-ansinh-status"] == "404"


async def test_through_nginx_a_low_limit_client_is_counted_on_every_request(door, arrangement, http, limiter_clock):
    auth = await door.bearer("registry:read", rate=1, burst=3)
    statuses = [(await http.get("/registry/scoped/read", headers=auth)).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429], arrangement


async def test_through_nginx_a_revoked_clients_cached_pass_ends_within_the_cache_time(door, http, arrangement):
    from gateway.auth import service as auth_service

    client_id, secret = await door.new_client("registry:read", rate=5000, burst=5000)
    auth = {"Authorization": f"Bearer {await door.token(client_id, secret)}"}
    assert (await http.get("/registry/scoped/read", headers=auth)).status_code == 200
    async with door.gateway.state.sessionmaker() as session, session.begin():
        await auth_service.revoke_client(session, client_id)
    await door.refresh_keys()
    await asyncio.sleep(door.gateway.state.settings.auth_cache_seconds + 1.1)
    r = await http.get("/registry/scoped/read", headers=auth)
    assert r.status_code == 401 and r.json()["type"].endswith("/unauthorized")


async def test_through_nginx_a_cacheable_clients_pass_is_reused_for_its_token_and_route(
    door, http, arrangement, monkeypatch
):
    from gateway.proxy import ProxyMiddleware

    asked: list[tuple[str, str]] = []
    decide = ProxyMiddleware.decide

    async def counted(self, scope, method, service, path):  # type: ignore[no-untyped-def]
        asked.append((method, path))
        return await decide(self, scope, method, service, path)

    monkeypatch.setattr(ProxyMiddleware, "decide", counted)
    auth = await door.bearer("registry:read", rate=5000, burst=5000)
    started = time.monotonic()
    statuses = [(await http.get(f"/registry/scoped/read?n={i}", headers=auth)).status_code for i in range(20)]
    elapsed = time.monotonic() - started
    assert statuses == [200] * 20
    if arrangement == "python":
        assert len(asked) == 20  # the gateway's own proxy decides on every request
    else:  # nginx asks once per cache period (the query is not part of the key), whatever the machine's speed
        assert 1 <= len(asked) <= math.ceil(elapsed / door.gateway.state.settings.auth_cache_seconds) + 1, asked
    assert all(method == "GET" and path.endswith("/scoped/read") for method, path in asked), asked
