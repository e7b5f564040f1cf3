"""Gateway overhead: the same service route directly and through the gateway, in one run.

Both paths verify the token (the gateway and the service each keep a cache of verified tokens); the
gateway also checks the route's scope, applies the client's rate limit (in memory, or Redis when
``--redis``) and proxies over a pooled aiohttp session. Load comes from wrk on the same machine.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx

from ansinh.clients import in_gateway_db
from gateway.auth import service as auth_service

from .harness import LoadResult, admin_url, machine, record, running_stack, wrk

CONNECTIONS = (32, 128)
ROUTE = "/me"  # authenticated (any valid token), verified in the service: a ~cheapest real route


async def _bench_client(gateway_db_url: str) -> tuple[str, str]:
    async def create(session):  # type: ignore[no-untyped-def]
        issued = await auth_service.create_client(
            session, "bench-client", scopes=["registry:read"], areas=[], rate_per_second=1_000_000,
            burst=1_000_000)
        return issued.client.client_id, issued.secret

    return await in_gateway_db(gateway_db_url, create)


def run(quick: bool = False, write: bool = True) -> dict[int, tuple[LoadResult, LoadResult]]:
    seconds = 3 if quick else 10
    results: dict[int, tuple[LoadResult, LoadResult]] = {}
    with admin_url() as admin, running_stack(admin) as stack:
        client_id, secret = asyncio.run(_bench_client(stack.config.urls()["gateway"]))
        r = httpx.post(stack.url("gateway") + "/auth/token", data={"grant_type": "client_credentials"},
                       auth=(client_id, secret))
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        direct_url = stack.url("registry") + ROUTE
        gateway_url = stack.url("gateway") + "/registry" + ROUTE
        for url in (direct_url, gateway_url):  # warm caches and connection pools
            assert httpx.get(url, headers=headers).status_code == 200
            wrk(url, 16, 1, headers)
        gateway_pid = stack.procs["gateway"].pid
        for conns in CONNECTIONS:
            direct = wrk(direct_url, conns, seconds, headers)
            via = wrk(gateway_url, conns, seconds, headers, watch_pid=gateway_pid)
            results[conns] = (direct, via)
            print(f"{conns:>4} conns  direct {direct.requests_per_s:8.0f} req/s p50 {direct.p50_ms:6.2f} ms "
                  f"p99 {direct.p99_ms:6.2f} ms | gateway {via.requests_per_s:8.0f} req/s p50 {via.p50_ms:6.2f} ms "
                  f"p99 {via.p99_ms:6.2f} ms | ratio {via.requests_per_s / direct.requests_per_s:.2f} "
                  f"| gateway RSS {via.peak_rss_mb:.0f} MB | errors {direct.errors + via.errors}")
    if write and not quick:
        record("gateway", _report(results, seconds))
    return results


def _report(results: dict[int, tuple[LoadResult, LoadResult]], seconds: int) -> str:
    rows = "\n".join(
        f"| {c} | {d.requests_per_s:,.0f} | {d.p50_ms:.2f} / {d.p99_ms:.2f} | {g.requests_per_s:,.0f} | "
        f"{g.p50_ms:.2f} / {g.p99_ms:.2f} | **{g.requests_per_s / d.requests_per_s:.2f}** | {g.peak_rss_mb:.0f} | "
        f"{d.errors + g.errors} |"
        for c, (d, g) in results.items()
    )
    return f"""## Gateway overhead (`bench/gateway.py`)

Measured {dt.date.today().isoformat()} on {machine()}; wrk (1 thread) on the same machine, {seconds} s per run,
route `GET /registry/me` (authenticated; the service verifies the token too) against `GET /me` on the
registry directly. Gateway: token verified (cached), route scope checked, per-client rate limit on
(in memory), aiohttp pooled proxy. Target: ratio ≥ 0.7 at 32 connections, no collapse at 128,
gateway resident memory < 200 MB.

| connections | direct req/s | direct p50 / p99 ms | gateway req/s | gateway p50 / p99 ms | ratio | gateway peak RSS MB | errors |
|---|---|---|---|---|---|---|---|
{rows}
"""
