"""Shared benchmark plumbing: a real stack on free ports, wrk as the load generator, the results file."""

from __future__ import annotations

import asyncio
import os
import platform
import re
import secrets
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from ansinh import database, local
from ansinh.stack import Stack, StackConfig, prepare_database
from common.testing import free_port

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.md"
BENCH_DB = "ansinh_bench"


@contextmanager
def admin_url() -> Iterator[str]:
    """ANSINH_DATABASE_URL, else TEST_DATABASE_URL, else the embedded server in var/bench-pg."""
    url = os.environ.get("ANSINH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    with local.EmbeddedPostgres("bench-pg") as embedded:
        yield embedded


@contextmanager
def running_stack(admin: str, **env: str) -> Iterator[Stack]:
    """The gateway and four services as real processes, on a fresh benchmark database."""
    passwords = {c: secrets.token_urlsafe(16) for c in database.COMPONENTS}
    ports = {c: free_port() for c in (*database.COMPONENTS,)}
    config = StackConfig(
        admin_url=admin,
        database=BENCH_DB,
        passwords=passwords,
        ports=ports,
        environment="test",
        extra_env={"GATEWAY_LOG_LEVEL": "WARNING", "INSURANCE_IDENTITY_KEY": secrets.token_urlsafe(32), **env},
    )
    asyncio.run(database.drop_database(admin, BENCH_DB))
    asyncio.run(prepare_database(config))
    # The processes' log lines go to var/bench-stack.log (a failed run can then be diagnosed).
    local.VAR.mkdir(parents=True, exist_ok=True)
    stack = Stack(config, out=open(local.VAR / "bench-stack.log", "w"))  # noqa: SIM115 - closed with the stack
    stack.start_all()
    try:
        yield stack
    finally:
        stack.stop()


@dataclass
class LoadResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    peak_rss_mb: float | None = None


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (Debian package) for the load generator …")
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("the benchmarks need wrk: apt-get install wrk (or your system's package)")
    return found


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", value.strip())
    if not m:
        raise ValueError(f"unexpected wrk latency {value!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk(
    url: str, connections: int, seconds: int, headers: dict[str, str], watch_pid: int | None = None, threads: int = 1
) -> LoadResult:
    """Run wrk against ``url``; optionally sample the resident memory of ``watch_pid`` meanwhile."""
    cmd = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        proc = psutil.Process(watch_pid)
        while not stop.wait(0.2):
            peak[0] = max(peak[0], proc.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True) if watch_pid else None
    if sampler:
        sampler.start()
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    stop.set()
    if sampler:
        sampler.join()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    return LoadResult(rps, p50, p99, errors, peak[0] / 2**20 if watch_pid else None)


class CpuMeter:
    """CPU seconds (user + system, as the kernel counts them) of some processes and of the PostgreSQL server's
    processes, between ``start()`` and ``stop()``: on a shared machine wall time follows the neighbours' load,
    CPU time much less. Backends that exit meanwhile lose their share (the services' pooled connections do not)."""

    def __init__(self, pids: dict[str, int], postmaster_pid: int | None) -> None:
        self.pids = pids
        self.postmaster = psutil.Process(postmaster_pid) if postmaster_pid else None
        self.before: dict[int, float] = {}

    def _sample(self) -> dict[int, tuple[str, float]]:
        procs = [(name, psutil.Process(pid)) for name, pid in self.pids.items()]
        if self.postmaster is not None:
            procs += [("postgres", p) for p in (self.postmaster, *self.postmaster.children())]
        out: dict[int, tuple[str, float]] = {}
        for name, proc in procs:
            try:
                t = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            out[proc.pid] = (name, t.user + t.system)
        return out

    def start(self) -> None:
        self.before = {pid: cpu for pid, (_, cpu) in self._sample().items()}

    def stop(self) -> dict[str, float]:
        spent: dict[str, float] = {}
        for pid, (name, cpu) in self._sample().items():
            spent[name] = spent.get(name, 0.0) + cpu - self.before.get(pid, 0.0)
        return spent


async def postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server's main process when it runs on this machine (the parent of this connection's backend),
    else None."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        pid = int(await conn.fetchval("SELECT pg_backend_pid()"))
        try:
            return psutil.Process(pid).ppid()
        except psutil.NoSuchProcess:
            return None
    finally:
        await conn.close()


def load_average() -> str:
    one, five, fifteen = psutil.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def machine() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}"
    )


def record(section: str, body: str) -> None:
    """Replace (or add) the section ``<!-- bench:section -->`` … ``<!-- /bench:section -->`` in the results."""
    start, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
    text_ = (
        RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n\nRun with `make bench` (or `make bench-quick`).\n"
    )
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text_:
        text_ = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text_, flags=re.S)
    else:
        text_ = text_.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text_)


async def bearer(stack: Stack, scopes: list[str], *, name: str = "bench") -> dict[str, str]:
    """A new gateway client with ``scopes``, no areas and no practical rate limit, and a header with its token.
    Each call makes another client (maker and checker are two calls)."""
    from ansinh.clients import in_gateway_db
    from gateway.auth import service as auth_service

    client_id = f"{name}-{uuid.uuid4().hex[:6]}"

    async def create(session):  # type: ignore[no-untyped-def]
        return (
            await auth_service.create_client(
                session, client_id, scopes=scopes, areas=[], rate_per_second=1_000_000, burst=1_000_000
            )
        ).secret

    secret = await in_gateway_db(stack.config.urls()["gateway"], create)
    async with httpx.AsyncClient(base_url=stack.url("gateway")) as http:
        r = await http.post("/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
        r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
