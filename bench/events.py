"""Event backbone, end to end through the real processes.

Latency: canary events are committed in the registry (outbox) at a steady rate, relayed to the hub,
delivered to the three other services' inboxes; the payments service's receipt row is the effect. The
latency of an event is receipt commit time − publication time (both taken on this machine's clock).
Throughput: the registry publishes in bursts as fast as it can; events/s is what the consumer applies.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time
import uuid

import aiohttp
import httpx
import psutil

from .harness import admin_url, bearer, machine, record, running_stack

SUBJECTS = 50


READ_LIMIT = 10_000
"""Receipts ``GET /events/canaries`` lists at most: a measurement sends no more events than that."""


async def _receipts(http: httpx.AsyncClient, url: str, auth: dict[str, str], prefix: str) -> tuple[list[dict], int]:
    r = await http.get(url + "/events/canaries", params={"limit": READ_LIMIT, "subject_prefix": prefix}, headers=auth)
    r.raise_for_status()
    return r.json()["receipts"], r.json()["total"]


async def _wait(http: httpx.AsyncClient, url: str, auth: dict[str, str], prefix: str, n: int) -> list[dict]:
    deadline = time.monotonic() + 120
    while True:
        got, total = await _receipts(http, url, auth, prefix)
        if total >= n or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.5)


async def _steady(stack, auth: dict[str, str], rate: int, seconds: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    # aiohttp for the load: httpx spent most of a core at 200 requests/s here, starving the services.
    prefix = f"lat-{uuid.uuid4().hex[:6]}-"
    total = rate * seconds
    url = stack.url("registry") + "/events/canary"
    async with aiohttp.ClientSession(headers=auth) as http:

        async def one(i: int) -> int:
            body = {"subject": f"{prefix}{i % SUBJECTS}", "to": "payments"}
            async with http.post(url, json=body) as resp:
                return resp.status

        start = time.monotonic()
        tasks = []
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        issued = total / (time.monotonic() - start)
        statuses = await asyncio.gather(*tasks)
        assert all(s == 202 for s in statuses), "publishing failed"
    async with httpx.AsyncClient(timeout=30) as client:
        got = await _wait(client, stack.url("payments"), auth, prefix, total)
    lat = sorted(r["latency_ms"] for r in got)
    q = statistics.quantiles(lat, n=100)
    return {
        "offered": rate,
        "achieved": issued,
        "events": len(got),
        "expected": total,
        "p50": q[49],
        "p95": q[94],
        "p99": q[98],
        "max": lat[-1],
    }


async def _throughput(stack, auth: dict[str, str], seconds: int, to: str | None) -> dict[str, float]:  # type: ignore[no-untyped-def]
    prefix = f"tp-{uuid.uuid4().hex[:6]}-"
    sent = 0
    async with httpx.AsyncClient(timeout=60) as http:
        start = time.monotonic()
        # Until the time is up or the next burst would pass what the receipts listing can return (before: 12,000
        # sent, 10,000 read, and a 120-s wait for the rest to show).
        while time.monotonic() - start < seconds and sent + 20 * SUBJECTS <= READ_LIMIT:
            burst = [
                http.post(
                    stack.url("registry") + "/events/canary",
                    json={"subject": f"{prefix}{s}", "count": 20, "to": to},
                    headers=auth,
                )
                for s in range(SUBJECTS)
            ]
            sent += 20 * sum(r.status_code == 202 for r in await asyncio.gather(*burst))
        got = await _wait(http, stack.url("payments"), auth, prefix, sent)
    first = min(dt.datetime.fromisoformat(r["published_at"]) for r in got)
    last = max(dt.datetime.fromisoformat(r["received_at"]) for r in got)
    return {"events": len(got), "sent": sent, "per_s": len(got) / (last - first).total_seconds()}


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
        except psutil.Error:  # a database backend that ended meanwhile
            pass
    return total


def _postgres_pids() -> list[int]:
    return [p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]


def run(quick: bool = False, write: bool = True) -> None:
    seconds = 5 if quick else 20
    with admin_url() as admin, running_stack(admin) as stack:
        auth = asyncio.run(bearer(stack, ["admin"]))
        asyncio.run(_steady(stack, auth, 20, 1))  # warm-up: tokens, pools, caches
        parts = {c: [p.pid] for c, p in stack.procs.items()}
        before = {c: _cpu_seconds(pids) for c, pids in parts.items()}
        pg_before = {pid: _cpu_seconds([pid]) for pid in _postgres_pids()}
        steady = asyncio.run(_steady(stack, auth, 200, seconds))
        cpu = {c: (_cpu_seconds(pids) - before[c]) * 1000 / steady["events"] for c, pids in parts.items()}
        cpu["postgres"] = (
            sum(_cpu_seconds([pid]) - pg_before.get(pid, 0.0) for pid in _postgres_pids()) * 1000 / steady["events"]
        )
        burst = asyncio.run(_throughput(stack, auth, max(3, seconds // 3), "payments"))
        fanout = asyncio.run(_throughput(stack, auth, max(3, seconds // 3), None))
    print(
        f"events at {steady['offered']}/s offered ({steady['achieved']:.0f}/s achieved), "
        f"{steady['events']}/{steady['expected']} applied: p50 {steady['p50']:.0f} ms, p95 {steady['p95']:.0f} ms, "
        f"p99 {steady['p99']:.0f} ms, max {steady['max']:.0f} ms"
    )
    busy = {k: round(v, 2) for k, v in cpu.items() if v >= 0.05}
    print(f"CPU per event (ms): {busy}, total {sum(cpu.values()):.1f}")
    print(
        f"sustained: {burst['per_s']:.0f} events/s applied ({burst['events']}/{burst['sent']}); "
        f"broadcast to 3 services: {fanout['per_s']:.0f} events/s at each"
    )
    if write and not quick:
        record(
            "events",
            f"""## Event backbone (`bench/events.py`)

Measured {dt.date.today().isoformat()} on {machine()}; real processes (gateway + four services) on one
PostgreSQL. Publisher: the registry commits canary events (outbox) on {SUBJECTS} subjects, addressed to
the payments service; each is relayed to the hub and delivered, signed, to the payments inbox, whose
receipt row is the effect. Latency = receipt commit − publication. Target: p95 < 250 ms at 200 events/s.

| measure | result |
|---|---|
| offered / achieved publication rate | {steady["offered"]}/s / {steady["achieved"]:.0f}/s for {seconds} s |
| events applied at the consumer | {steady["events"]} of {steady["expected"]} |
| latency p50 / p95 / p99 / max | {steady["p50"]:.0f} / **{steady["p95"]:.0f}** / {steady["p99"]:.0f} / {steady["max"]:.0f} ms |
| CPU per event, end to end (publisher request included) | {sum(cpu.values()):.1f} ms: {", ".join(f"{k} {v:.2f}" for k, v in cpu.items() if v >= 0.05)} |
| sustained throughput, one consumer (bursts of 20 × {SUBJECTS} subjects) | {burst["per_s"]:.0f} events/s applied ({burst["events"]} events) |
| sustained throughput, broadcast to three consumers | {fanout["per_s"]:.0f} events/s applied at each ({fanout["events"]} events) |
""",
        )
