"""The measured payroll of ``bench/payroll.py`` statement by statement: PostgreSQL backend CPU per statement.

``python -m bench.payroll_cpu build N`` builds the benchmark's set of N beneficiaries through the real processes (the
projection, the first payroll generated and approved through the gateway, the month's changes) and keeps it as a
template database ``payroll_cpu_N``. ``python -m bench.payroll_cpu measure N [--repeat R]`` then copies the template
to a scratch database, reads its payments relations into shared buffers (``pg_prewarm``), and runs the measured
month's generate → review → approve in process with the service's own code, one transaction each as the API does;
the CPU seconds of the backend (``/proc``) are read before and after every statement. Each repetition starts from a
fresh copy. It prints the CPU per statement, the totals, and a digest of every row the payroll wrote (lines, months,
ledger entries, settlements, batches — ids left out), so two versions of the code can be compared on the same data.

On a shared machine the wall time follows the neighbours' load; the backend's CPU seconds much less.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import defaultdict
from typing import Any

import asyncpg
import httpx
import psutil
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from ansinh.database import to_asyncpg_url, with_database
from common.auth import Principal

from . import payroll as bench
from .harness import BENCH_DB, admin_url, bearer, running_stack

DIGESTS = {
    "lines": """SELECT md5(string_agg(concat_ws('|', recipient_id, beneficiary_id, person_id, household_id,
                    one_off_payment_id, recipient_name, national_id, commune_code, district_code, province_code,
                    schedule_version, regular, arrears, recovery, carried, total, to_recover, to_recover_offset),
                    ',' ORDER BY recipient_id)) FROM payments.payroll_lines WHERE payroll_id = $1""",
    "months": """SELECT md5(string_agg(concat_ws('|', recipient_id, service_month, kind, entitled, allocated, amount),
                    ',' ORDER BY recipient_id, service_month)) FROM payments.payroll_line_months WHERE payroll_id = $1""",
    "ledger": """SELECT md5(string_agg(concat_ws('|', e.recipient_id, e.service_month, e.kind, e.amount, e.commune_code,
                    e.district_code, e.province_code, e.period, e.period_first, l.recipient_id),
                    ',' ORDER BY e.recipient_id, e.service_month, e.kind, e.amount))
                 FROM payments.ledger_entries e JOIN payments.payroll_lines l ON l.id = e.line_id
                 WHERE e.payroll_id = $1""",
    "settlements": """SELECT md5(string_agg(concat_ws('|', programme, recipient_id, settled_version, settled_through,
                    payroll_id = $1), ',' ORDER BY programme, recipient_id)) FROM payments.settlements""",
    "batches": """SELECT md5(string_agg(concat_ws('|', commune_code, district_code, province_code, line_count, amount,
                    deadline, fee_percent), ',' ORDER BY commune_code)) FROM payments.batches WHERE payroll_id = $1""",
    "totals": """SELECT concat_ws(' ', line_count, amount, regular, arrears, recovery, carried, to_recover,
                    to_recover_offset) FROM payments.payrolls WHERE id = $1""",
}


def _template(n: int) -> str:
    return f"payroll_cpu_{n}"


def build(n: int) -> None:
    with admin_url() as admin:
        with running_stack(admin, GATEWAY_UPSTREAM_READ_TIMEOUT="900") as stack:
            url = stack.config.urls()["payments"]
            print(f"load {asyncio.run(bench._load(url, n)):.1f} s")
            maker = asyncio.run(bearer(stack, name="bench-payroll", scopes=["payments:read", "payments:write"]))
            checker = asyncio.run(bearer(stack, name="bench-payroll", scopes=["payments:read", "payments:approve"]))
            with httpx.Client(base_url=stack.url("gateway"), timeout=1800) as http:
                steps, _ = bench._payroll(http, maker, checker, bench.FIRST)
            print(f"first payroll {steps}")
            print(f"changes {asyncio.run(bench._next_month(url, n))}")
        asyncio.run(_copy(admin, BENCH_DB, _template(n)))


async def _copy(admin: str, source: str, target: str) -> None:
    conn = await asyncpg.connect(admin.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {target} TEMPLATE {source}")
    finally:
        await conn.close()


def _principal(client: str) -> Principal:
    return Principal(client_id=client, scopes=frozenset({"admin"}), areas=(), issued_at=0, expires_at=0)


def _label(sql: str) -> str:
    words = " ".join(sql.split())
    for key in ("INSERT INTO", "MERGE INTO", "UPDATE", "DELETE FROM", "WITH", "SELECT", "SET", "RESET"):
        i = words.find(key)
        if i >= 0:
            return words[i : i + 70]
    return words[:70]


async def _measure_once(admin: str, n: int, settings: list[str]) -> tuple[dict[str, float], dict[str, Any], float]:
    work = f"payroll_cpu_work_{n}"
    await _copy(admin, _template(n), work)
    url = with_database(admin, work)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        await conn.execute("""SELECT pg_prewarm(c.oid) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
                              WHERE s.nspname = 'payments' AND c.relkind IN ('r', 'i')""")
    finally:
        await conn.close()
    from services.payments.payrolls import service

    engine = create_async_engine(to_asyncpg_url(url), pool_size=1, max_overflow=0)
    cpu: dict[str, float] = defaultdict(float)
    backend: list[psutil.Process] = []

    def _cpu() -> float:
        t = backend[0].cpu_times()
        return t.user + t.system

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        context._cpu_start = _cpu() if backend else 0.0

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if backend:
            cpu[_label(statement)] += _cpu() - context._cpu_start

    maker = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with engine.connect() as c:
            backend.append(psutil.Process(int((await c.execute(text("SELECT pg_backend_pid()"))).scalar_one())))
        for s in settings:
            async with engine.connect() as c:
                await c.execute(text(f"ALTER DATABASE {work} SET {s}"))
                await c.commit()
        await engine.dispose()
        backend.clear()
        async with engine.connect() as c:
            backend.append(psutil.Process(int((await c.execute(text("SELECT pg_backend_pid()"))).scalar_one())))
        start = time.perf_counter()
        py0 = time.process_time()
        session: AsyncSession
        async with maker() as session:
            p = await service.generate(session, _principal("maker"), bench.PROGRAMME, bench.MEASURED)
            await session.commit()
            payroll_id = p.id
        async with maker() as session:
            await service.review(session, _principal("maker"), payroll_id, None)
            await session.commit()
        async with maker() as session:
            await service.approve(session, _principal("checker"), payroll_id, None)
            await session.commit()
        wall = time.perf_counter() - start
        cpu["(python, this process)"] = time.process_time() - py0
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            digest = {k: await conn.fetchval(q, payroll_id) for k, q in DIGESTS.items()}
        finally:
            await conn.close()
    finally:
        await engine.dispose()
    return dict(cpu), digest, wall


def measure(n: int, repeat: int, settings: list[str]) -> None:
    runs = []
    with admin_url() as admin:
        for _ in range(repeat):
            runs.append(asyncio.run(_measure_once(admin, n, settings)))
    labels = sorted({k for cpu, _, _ in runs for k in cpu}, key=lambda k: -max(r[0].get(k, 0) for r in runs))
    for k in labels:
        values = [r[0].get(k, 0.0) for r in runs]
        if max(values) >= 0.005:
            print(f"{min(values):7.3f} {' '.join(f'{v:6.3f}' for v in values)}  {k}")
    totals = [sum(v for k, v in cpu.items() if not k.startswith("(")) for cpu, _, _ in runs]
    print(f"backend CPU total: min {min(totals):.3f} s, runs {' '.join(f'{t:.3f}' for t in totals)}")
    print(f"wall: {' '.join(f'{w:.2f}' for _, _, w in runs)}; load {psutil.getloadavg()}")
    digests = {str(sorted(d.items())) for _, d, _ in runs}
    for d in digests:
        print(d)
    assert len(digests) == 1, "the runs wrote different payrolls"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.payroll_cpu")
    parser.add_argument("action", choices=["build", "measure"])
    parser.add_argument("n", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--set", action="append", default=[], help="a setting for the database (ALTER DATABASE SET)")
    args = parser.parse_args()
    if args.action == "build":
        build(args.n)
    else:
        measure(args.n, args.repeat, args.set)


if __name__ == "__main__":
    main()
