"""Child protection at 5,000 open cases, through the gateway: the overdue list (one query over the open
deadlines of the client's areas) and a case read with its audit write, measured with wrk.

Cases are opened through the gateway (`POST /child-protection/cases`, 16 at a time) with reports received over
the last 30 days, so nearly every emergency-action limit is overdue; a third of them get their initial
assessment. For comparison, the same run measures `GET /child-protection/groups` (a read with no audit).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random

import asyncpg
import httpx

from .harness import BENCH_DB, admin_url, bearer, machine, record, running_stack, wrk

COMMUNES = [
    "29242",
    "29254",
    "29263",
    "29266",
    "29275",
    "29278",
    "29287",
]  # 2025 communes (writes name communes in force)


async def _open_cases(stack, n: int, chunk: int = 500) -> list[str]:  # type: ignore[no-untyped-def]
    """``n`` cases, ``chunk`` at a time with a fresh token each (tokens live 5 minutes; a loaded machine may take
    longer than that for all of them)."""
    ids: list[str] = []
    for start in range(0, n, chunk):
        worker = {**await bearer(stack, ["child_protection:case"], name="bench-cp"), "X-Purpose": "bench"}
        ids += await _open_chunk(stack, worker, range(start, min(n, start + chunk)))
    return ids


async def _open_chunk(stack, worker: dict[str, str], numbers: range) -> list[str]:  # type: ignore[no-untyped-def]
    rng = random.Random(numbers.start)
    now = dt.datetime.now(dt.UTC)
    semaphore = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=stack.url("gateway"), headers=worker, timeout=60) as http:

        async def one(i: int) -> str:
            reported = now - dt.timedelta(minutes=rng.randrange(60, 30 * 24 * 60))
            body = {
                "source": rng.choice(["hotline_111", "police", "school", "community", "labour_office"]),
                "reported_at": reported.isoformat(),
                "report": f"report {i}: " + "x" * rng.randrange(50, 800),
                "child": {
                    "full_name": f"Trẻ {i}",
                    "commune_code": rng.choice(COMMUNES),
                    "date_of_birth": dt.date(
                        rng.randrange(2011, 2026), rng.randrange(1, 13), rng.randrange(1, 29)
                    ).isoformat(),
                },
            }
            async with semaphore:
                r = await http.post("/child-protection/cases", json=body)
                r.raise_for_status()
                case = r.json()
                if i % 3 == 0:
                    s = await http.post(
                        f"/child-protection/cases/{case['id']}/steps",
                        json={"action": "initial_assessment", "risk_level": "medium"},
                        headers={"If-Match": '"1"'},
                    )
                    s.raise_for_status()
                return str(case["id"])

        return list(await asyncio.gather(*(one(i) for i in numbers)))


async def _count(admin: str, sql: str) -> int:
    from ansinh import database

    conn = await asyncpg.connect(database.with_database(admin, BENCH_DB))
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


def run(quick: bool = False, write: bool = True) -> None:
    n = 500 if quick else 5_000
    seconds = 3 if quick else 15
    with admin_url() as admin, running_stack(admin) as stack:
        started = dt.datetime.now()
        ids = asyncio.run(_open_cases(stack, n))
        opened = (dt.datetime.now() - started).total_seconds()
        open_cases = asyncio.run(_count(admin, "SELECT count(*) FROM child_protection.cases WHERE status <> 'closed'"))
        overdue_rows = asyncio.run(
            _count(admin, "SELECT count(*) FROM child_protection.deadlines WHERE met_at IS NULL AND due_at <= now()")
        )
        base = stack.url("gateway")
        supervisor = {
            **asyncio.run(bearer(stack, ["child_protection:read"], name="bench-cp")),
            "X-Purpose": "benchmark",
        }  # a fresh token (they live 5 minutes)
        pid = stack.procs["child_protection"].pid
        audit_before = asyncio.run(_count(admin, "SELECT count(*) FROM child_protection.read_audit"))
        overdue = wrk(f"{base}/child-protection/deadlines/overdue?limit=50", 8, seconds, supervisor)
        case_id = ids[len(ids) // 2]
        read = wrk(f"{base}/child-protection/cases/{case_id}", 8, seconds, supervisor, watch_pid=pid)
        audit_after = asyncio.run(_count(admin, "SELECT count(*) FROM child_protection.read_audit"))
        groups = wrk(f"{base}/child-protection/groups", 8, seconds, supervisor)
    audited = audit_after - audit_before
    load = os.getloadavg()[1]
    served = round(overdue.requests_per_s * seconds + read.requests_per_s * seconds)
    print(
        f"{open_cases} open cases ({overdue_rows} overdue limits) opened in {opened:.1f} s; "
        f"overdue list {overdue.requests_per_s:,.0f} req/s p50 {overdue.p50_ms:.1f} ms p99 {overdue.p99_ms:.1f} ms; "
        f"case read {read.requests_per_s:,.0f} req/s p50 {read.p50_ms:.1f} ms p99 {read.p99_ms:.1f} ms; "
        f"groups {groups.requests_per_s:,.0f} req/s; audit rows {audited:,} for ~{served:,} reads; "
        f"errors {overdue.errors + read.errors + groups.errors}"
    )
    if write and not quick:
        record(
            "child-protection",
            f"""## Child protection: overdue list and audited case read (`bench/child_protection.py`, `--only child-protection`)

Measured {dt.date.today().isoformat()} on {machine()}; real processes (gateway + four services) on one
PostgreSQL. {open_cases:,} open cases opened through the gateway in {opened:.0f} s (16 at a time; reports spread
over the last 30 days, a third initially assessed), leaving {overdue_rows:,} overdue time limits. wrk, 8
connections, {seconds} s each, a supervisor's token (no area limit) and `X-Purpose`, through the gateway.

| request | req/s | p50 | p99 | errors |
|---|---|---|---|---|
| `GET /child-protection/deadlines/overdue?limit=50` (one query + its audit row) | {overdue.requests_per_s:,.0f} | {overdue.p50_ms:.1f} ms | {overdue.p99_ms:.1f} ms | {overdue.errors} |
| `GET /child-protection/cases/{{id}}` (case, child, plans, deadlines decrypted + audit row) | {read.requests_per_s:,.0f} | {read.p50_ms:.1f} ms | {read.p99_ms:.1f} ms | {read.errors} |
| `GET /child-protection/groups` (reference data, no audit; for comparison) | {groups.requests_per_s:,.0f} | {groups.p50_ms:.1f} ms | {groups.p99_ms:.1f} ms | {groups.errors} |

Audit rows written during the two audited runs: {audited:,} (every read recorded, in the request's transaction).
Machine load average (5 min) at the end: {load:.1f} on 2 cores — compare runs only at similar load.
Peak resident memory of the child protection process during the case reads: {read.peak_rss_mb:.0f} MB.
""",
        )
