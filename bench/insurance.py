"""Insurance at the seed's scale: 103,339 children and 33,200 beneficiaries enrolled from registry events through the
insurance inbox, the period's BHXH list built and downloaded as CSV, then the coverage check under load.

1. The registry's persons (what the identity reads find) are written with set-based SQL into a real stack's
   database.
2. Enrolment: a ``registry.person.registered.v1`` per person and a ``registry.beneficiary.approved.v1`` per
   beneficiary are published to the gateway's hub (``POST /events``, 1,000 per request) and the hub delivers them to
   the running insurance service's inbox in batched deliveries (dedupe, projection, queue), while its decision worker
   decides them. ``BENCH_INSURANCE_PATH=in-process``: the earlier form, the inbox code called in this process
   (``EVENTS.inbox.apply_many``, 1,000 events per transaction; with ``BENCH_INSURANCE_ONE_BY_ONE=1``
   ``EVENTS.inbox.apply`` per event). Enrolment time = first event published → decision queue empty.
3. The period's list: ``POST /insurance/lists`` through the gateway (identity fields of every person read from the
   registry through the gateway, digests stored), then ``GET …/download?format=csv``; the insurance process's peak
   resident memory is sampled throughout.
4. Cards for everyone on the list (written directly: the result path is not what is measured), then
   ``GET /insurance/coverage`` through the gateway with wrk at c=32.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx
import psutil
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from common.events.envelope import Event, new_event
from common.settings import to_asyncpg_url
from services.insurance.exchange.identities import digest

from .harness import ROOT, LoadResult, Stack, bearer, machine, record, running_stack, wrk
from .harness import admin_url as bench_admin_url
from .openloop import run_open_loop
from .payroll import _rss

CHILDREN, BENEFICIARIES = 103_339, 33_200
PERIOD = "2026-12"
TODAY = date(2026, 12, 3)
REGISTRY = "/ansinh/registry"
PER_TRANSACTION = 1000
CONSUMERS = 4
POOL = os.environ.get("BENCH_INSURANCE_POOL", "34")
HUB_BATCH = 1000  # events per POST /events (the hub's limit)
PATH = os.environ.get("BENCH_INSURANCE_PATH", "hub")  # or "in-process"
OPEN_RATES = tuple(int(r) for r in os.environ.get("BENCH_COVERAGE_RATES", "200,500,1000").split(",") if r.strip())
"""Arrival rates (calls/s) of the coverage check's open-loop runs, after the closed-loop wrk run (``BENCH_COVERAGE_RATES=``
empty: none)."""
COVERAGE_SECONDS = int(os.environ.get("BENCH_COVERAGE_SECONDS", "0"))
"""Seconds of each coverage run (0: 15, or 3 with ``--quick``)."""
IDLE_SECONDS = 5


@dataclass
class CoverageRun:
    """One load on the coverage check: its latency and the CPU it cost, per process."""

    label: str
    calls: int
    p50_ms: float
    p99_ms: float
    per_s: float
    errors: int
    cpu: dict[str, float]
    """process → CPU seconds during the run"""
    load: str = ""
    commits: int = 0
    """Statements (commits) that wrote the run's audit rows: calls ÷ commits is the mean batch of the group commit."""

    def cpu_per_call_ms(self) -> dict[str, float]:
        return {k: 1000 * v / max(self.calls, 1) for k, v in self.cpu.items()}

    def __str__(self) -> str:
        per = ", ".join(f"{k} {v:.2f}" for k, v in self.cpu_per_call_ms().items() if v >= 0.005)
        return (
            f"{self.label}: {self.per_s:,.0f} calls/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, "
            f"{self.errors} errors; {self.calls / max(self.commits, 1):.1f} calls a commit; CPU ms per call: {per} "
            f"(load {self.load})"
        )


@dataclass
class Coverage:
    closed: LoadResult
    runs: list[CoverageRun]
    idle: dict[str, float] = field(default_factory=dict)
    """process → CPU seconds a second with no call (background tasks: key refresh, relay, workers)"""


@dataclass
class Result:
    children: int
    beneficiaries: int
    inbox_s: float = 0
    enrol_s: float = 0
    events_per_s: float = 0
    build_s: float = 0
    csv_s: float = 0
    csv_rows: int = 0
    csv_mb: float = 0
    results_s: float = 0
    results_rows: int = 0
    results_applied: int = 0
    results_exceptions: int = 0
    peak_rss_mb: float = 0
    idle_rss_mb: float = 0
    items: dict[str, int] = field(default_factory=dict)
    coverage: LoadResult | None = None
    coverage_runs: list[CoverageRun] = field(default_factory=list)
    one_by_one: bool = False
    path: str = "hub"
    """``hub``: published to the gateway's hub, delivered to the running insurance service; ``in-process``: the
    inbox code called in the benchmark's own process (no hub, the earlier form of this benchmark)"""
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)
    """phase → process → CPU seconds (user + system) spent in it"""
    load: list[str] = field(default_factory=list)


class Cpu:
    """CPU seconds of the stack's processes (and this one, which applies the events) between phase marks: stable
    under the machine's load, where wall-clock times are not."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.procs["bench (inbox)"] = psutil.Process()
        self.postgres = _postmaster()
        self.last = self._now()

    def _now(self) -> dict[str, float]:
        out = {}
        for name, proc in self.procs.items():
            t = proc.cpu_times()
            out[name] = t.user + t.system
        if self.postgres is not None:  # the server's processes: live backends, and those that ended (reaped)
            t = self.postgres.cpu_times()
            live = 0.0
            for c in self.postgres.children():
                with contextlib.suppress(psutil.Error):
                    ct = c.cpu_times()
                    live += ct.user + ct.system
            out["postgres"] = t.user + t.system + t.children_user + t.children_system + live
        return out

    def mark(self) -> dict[str, float]:
        now = self._now()
        spent = {k: round(now[k] - self.last[k], 3) for k in now}
        self.last = now
        return spent


def _postmaster() -> psutil.Process | None:
    """The embedded server's postmaster (var/bench-pg), when the benchmark runs on it."""
    pidfile = ROOT / "var" / "bench-pg" / "postmaster.pid"
    try:
        return psutil.Process(int(pidfile.read_text().split()[0]))
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def _profilers(pids: dict[str, int]) -> list[subprocess.Popen[bytes]]:
    """``BENCH_PYSPY=<dir>``: py-spy (not a dependency; any py-spy on the PATH) samples the services into
    ``<dir>/<service>.txt`` (collapsed stacks) for the whole run."""
    out_dir, spy = os.environ.get("BENCH_PYSPY"), shutil.which("py-spy")
    if not out_dir or not spy:
        return []
    os.makedirs(out_dir, exist_ok=True)
    return [
        subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "--format",
                "raw",
                "--rate",
                os.environ.get("BENCH_PYSPY_RATE", "50"),
                "--nonblocking",
                "-o",
                f"{out_dir}/{name}.txt",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    ]


def _communes() -> list[tuple[str, str]]:
    with (ROOT / "seed" / "tra_vinh_admin_units.csv").open(encoding="utf-8") as f:
        return [(r["commune_code"], r["district_code"]) for r in csv.DictReader(f)]


async def _persons(registry_url: str, children: int, beneficiaries: int) -> None:
    """Children born in the six years before the period, adults born 1930-1965; ids derived from the number."""
    communes = _communes()
    codes = "ARRAY[" + ",".join(f"'{c}'" for c, _ in communes) + "]"
    districts = "ARRAY[" + ",".join(f"'{d}'" for _, d in communes) + "]"
    conn = await asyncpg.connect(to_asyncpg_url(registry_url).replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(f"""
            INSERT INTO registry.persons (id, full_name, name_key, date_of_birth, sex, national_id, commune_code,
                district_code, province_code, address_line, created_by, updated_by)
            SELECT md5('bench-ins-' || i)::uuid, 'Nguyễn Văn ' || i, 'nguyen van ' || i, b.born,
                   CASE WHEN i % 2 = 0 THEN 'male' ELSE 'female' END,
                   '084' || ((CASE WHEN b.born >= DATE '2000-01-01' THEN 2 ELSE 0 END) + i % 2)::text
                         || to_char(b.born, 'YY') || lpad((i % 1000000)::text, 6, '0'),
                   ({codes})[1 + i % {len(communes)}], ({districts})[1 + i % {len(communes)}], '84',
                   'Ấp ' || (i % 30), 'bench', 'bench'
            FROM generate_series(1, {children + beneficiaries}) AS i
            CROSS JOIN LATERAL (SELECT CASE WHEN i <= {children}
                THEN DATE '{TODAY.isoformat()}' - (1 + (i * 7) % 2150)
                ELSE make_date(1930 + i % 36, 1 + i % 12, 1 + i % 28) END AS born) b""")
    finally:
        await conn.close()


def _events(children: int, beneficiaries: int) -> list[Event]:
    communes = _communes()
    out = []
    now = datetime.now(UTC)
    for i in range(1, children + beneficiaries + 1):
        pid = uuid.UUID(hex=hashlib.md5(f"bench-ins-{i}".encode()).hexdigest())
        commune, district = communes[i % len(communes)]
        areas = {"commune_code": commune, "district_code": district, "province_code": "84"}
        born = (
            (TODAY - timedelta(days=1 + (i * 7) % 2150))
            if i <= children
            else date(1930 + i % 36, 1 + i % 12, 1 + i % 28)
        )
        env = new_event(
            REGISTRY,
            "registry.person.registered.v1",
            str(pid),
            {
                "person_id": str(pid),
                "date_of_birth": born.isoformat(),
                "sex": "male" if i % 2 == 0 else "female",
                **areas,
            },
        )
        env["time"] = (now - timedelta(days=(i * 13) % 2000 if i > children else 0)).isoformat()
        if i <= children:  # a child is registered within a month of birth
            env["time"] = datetime.combine(born + timedelta(days=i % 30), datetime.min.time(), UTC).isoformat()
        out.append(Event.model_validate({**env, "sequence": 1}))
        if i > children:
            bid = uuid.uuid5(pid, "beneficiary")
            env = new_event(
                REGISTRY,
                "registry.beneficiary.approved.v1",
                str(bid),
                {
                    "beneficiary_id": str(bid),
                    "person_id": str(pid),
                    "categories": ["5.5a"],
                    "effective_month": f"20{15 + i % 11}-{1 + i % 12:02d}",
                    "decision_number": f"{i}/QĐ",
                    "date_of_birth": born.isoformat(),
                    **areas,
                },
            )
            out.append(Event.model_validate({**env, "sequence": 1}))
    return out


async def _enrol_in_process(insurance_url: str, events: list[Event], one_by_one: bool = False) -> float:
    """Apply the events through the inbox code in this process (no hub); return seconds to apply."""
    from services.insurance import consumers  # noqa: F401  (registers the handlers)
    from services.insurance.events import EVENTS

    engine = create_async_engine(to_asyncpg_url(insurance_url), pool_size=CONSUMERS)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    # As the hub delivers: concurrently, in order per subject (each subject's events stay in one stream).
    streams: list[list[Event]] = [[] for _ in range(CONSUMERS)]
    for e in events:
        streams[hash(e.subject) % CONSUMERS].append(e)

    async def consume(stream: list[Event]) -> None:
        for start in range(0, len(stream), PER_TRANSACTION):
            async with maker() as session:
                if one_by_one:
                    for e in stream[start : start + PER_TRANSACTION]:
                        await EVENTS.inbox.apply(session, e)
                else:
                    await EVENTS.inbox.apply_many(session, stream[start : start + PER_TRANSACTION])
                await session.commit()

    started = time.perf_counter()
    await asyncio.gather(*(consume(s) for s in streams))
    await engine.dispose()
    return time.perf_counter() - started


async def _enrol_through_hub(stack: Stack, insurance_url: str, events: list[Event]) -> float:
    """Publish the events to the gateway's hub (``POST /events``, 1,000 per request, one request after another as a
    service's relay does) and wait until the hub has delivered all of them to the running insurance service's inbox
    (its internal subscription, batched deliveries); return seconds from the first publish to the last applied."""
    publisher = await bearer(stack, ["admin", "events:publish"], name="bench-registry")
    conn = await asyncpg.connect(to_asyncpg_url(insurance_url).replace("postgresql+asyncpg", "postgresql"))
    try:
        before = await conn.fetchval("SELECT count(*) FROM insurance.inbox")
        started = time.perf_counter()
        async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=300, headers=publisher) as http:
            for start in range(0, len(events), HUB_BATCH):
                body = b"[" + b",".join(e.model_dump_json().encode() for e in events[start : start + HUB_BATCH]) + b"]"
                r = await http.post("/events", content=body, headers={"content-type": "application/json"})
                r.raise_for_status()
        while True:
            remaining = len(events) - (await conn.fetchval("SELECT count(*) FROM insurance.inbox") - before)
            if remaining <= 0:
                break
            # Counting the inbox costs the server ~10 ms at full scale: every second while thousands remain (more
            # than a second's work), every 0.2 s near the end, so the measured time stays as precise.
            await asyncio.sleep(1.0 if remaining > 5000 else 0.2)
        return time.perf_counter() - started
    finally:
        await conn.close()


STALLED_SECONDS = 300


async def _decided(insurance_url: str) -> None:
    """Until the running insurance process's decision worker has decided everyone queued; an error when the queue
    has not shrunk for ``STALLED_SECONDS`` (no worker running, e.g. the process did not start)."""
    conn = await asyncpg.connect(to_asyncpg_url(insurance_url).replace("postgresql+asyncpg", "postgresql"))
    try:
        count = "SELECT count(*) FROM insurance.pending_decisions"
        smallest, since = await conn.fetchval(count), time.monotonic()
        while await conn.fetchval("SELECT EXISTS (SELECT FROM insurance.pending_decisions)"):
            if time.monotonic() - since > STALLED_SECONDS:
                left = await conn.fetchval(count)
                if left >= smallest:
                    raise RuntimeError(f"the decision worker made no progress for {STALLED_SECONDS} s ({left} queued)")
                smallest, since = left, time.monotonic()
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def _enrol(
    stack: Stack, insurance_url: str, events: list[Event], path: str, one_by_one: bool = False
) -> tuple[float, float]:
    """Apply the events (through the hub, or in this process); return (seconds to apply, seconds until every person
    is decided)."""
    started = time.perf_counter()
    if path == "hub":
        applied = await _enrol_through_hub(stack, insurance_url, events)
    else:
        applied = await _enrol_in_process(insurance_url, events, one_by_one)
    await _decided(insurance_url)
    return applied, time.perf_counter() - started


RESULTS_FILE = 10_000
"""Rows of the BHXH results file the benchmark posts back (the most a results request takes by API)."""


async def _results_file(insurance_url: str, list_id: str, rows: int) -> bytes:
    """BHXH's results for the list's first ``rows`` items as the CSV BHXH uploads: a card for each (one in 50
    rejected), in the list's own columns' places."""
    conn = await asyncpg.connect(to_asyncpg_url(insurance_url).replace("postgresql+asyncpg", "postgresql"))
    try:
        items = await conn.fetch(
            """SELECT person_id::text AS person_id, group_code, benefit_level, to_char(valid_from, 'DD/MM/YYYY') AS
                      valid_from, to_char(valid_to, 'DD/MM/YYYY') AS valid_to
               FROM insurance.exchange_items WHERE list_id = $1 ORDER BY id LIMIT $2""",
            uuid.UUID(list_id),
            rows,
        )
    finally:
        await conn.close()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Mã người", "Kết quả", "Mã thẻ", "Thẻ có giá trị từ", "Thẻ có giá trị đến", "Lý do"])
    for n, i in enumerate(items):
        if n % 50 == 7:
            writer.writerow([i["person_id"], "Từ chối", "", "", "", "Sai ngày sinh"])
        else:
            code = f"{i['group_code']}{i['benefit_level']}86{n + 1:010d}"
            writer.writerow([i["person_id"], "Đã cấp thẻ", code, i["valid_from"], i["valid_to"] or "", ""])
    return ("\ufeff" + out.getvalue()).encode()


async def _cards(insurance_url: str, list_id: str) -> None:
    """Cards for every item of the list BHXH has not answered, as if it had."""
    conn = await asyncpg.connect(to_asyncpg_url(insurance_url).replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(
            """
            INSERT INTO insurance.cards (id, person_id, group_code, code, number, issuing_province, valid_from,
                valid_to, commune_code, district_code, province_code, list_item_id)
            SELECT gen_random_uuid(), i.person_id, i.group_code,
                   i.group_code || i.benefit_level || '86' || lpad((9000000 + row_number() OVER ())::text, 10, '0'),
                   lpad((9000000 + row_number() OVER ())::text, 10, '0'), '86', i.valid_from, i.valid_to, i.commune_code,
                   i.district_code, i.province_code, i.id
            FROM insurance.exchange_items i WHERE i.list_id = $1 AND i.result = 'pending'""",
            uuid.UUID(list_id),
        )
    finally:
        await conn.close()


async def _audited(insurance_url: str) -> tuple[int, int]:
    """Coverage calls answered so far and the commits that wrote them: every call writes one audit row, so the rows
    count the calls served; the rows of one statement share its ``read_at`` (``now()``: the transaction's start)."""
    conn = await asyncpg.connect(to_asyncpg_url(insurance_url).replace("postgresql+asyncpg", "postgresql"))
    try:
        row = await conn.fetchrow("SELECT count(*), count(DISTINCT read_at) FROM insurance.coverage_reads")
        return int(row[0]), int(row[1])
    finally:
        await conn.close()


def _coverage(stack: Stack, cpu: Cpu, nid: str, seconds: int, rates: tuple[int, ...]) -> Coverage:
    """The coverage check through the gateway: wrk closed loop at c=32, then open loops at fixed arrival rates over
    32 connections (latency from the scheduled send). CPU per call = each process's CPU seconds during the run ÷ the
    audit rows it wrote (one per call answered)."""
    insurance_url = stack.config.urls()["insurance"]
    hospital = asyncio.run(bearer(stack, ["insurance:coverage"], name="bench-hospital"))
    headers = {**hospital, "X-Purpose": "bench"}
    url = f"{stack.url('gateway')}/insurance/coverage?national_id={nid}&on={PERIOD}-15"
    with httpx.Client() as http:
        r = http.get(url, headers=headers)
        assert r.status_code == 200 and r.json()["covered"], r.text
    wrk(url, 32, 1, headers)  # warm-up: every pooled connection has been used (and its statement prepared)
    cpu.mark()
    time.sleep(IDLE_SECONDS)
    idle = {k: v / IDLE_SECONDS for k, v in cpu.mark().items() if k != "bench (inbox)"}
    print("idle CPU seconds a second: " + ", ".join(f"{k} {v:.3f}" for k, v in idle.items()))
    runs: list[CoverageRun] = []

    def measured(label: str, load: Callable[[], tuple[float, float, float, int]]) -> CoverageRun:
        cpu.mark()
        before = asyncio.run(_audited(insurance_url))
        p50, p99, per_s, errors = load()
        spent = {("loader" if k == "bench (inbox)" else k): v for k, v in cpu.mark().items()}
        after = asyncio.run(_audited(insurance_url))
        calls, commits = after[0] - before[0], after[1] - before[1]
        load_average = _uptime().split("load average:")[-1].strip()
        run = CoverageRun(label, calls, p50, p99, per_s, errors, spent, load_average, commits)
        print(run)
        runs.append(run)
        return run

    closed: list[LoadResult] = []

    def closed_loop() -> tuple[float, float, float, int]:
        res = wrk(url, 32, seconds, headers, watch_pid=stack.procs["insurance"].pid)
        closed.append(res)
        return res.p50_ms, res.p99_ms, res.requests_per_s, res.errors

    measured(f"closed loop, wrk c=32, {seconds} s", closed_loop)
    for rate in rates:

        def opened(rate: int = rate) -> tuple[float, float, float, int]:
            res = run_open_loop(url, headers, rate, seconds, connections=32)
            return res.p50_ms, res.p99_ms, res.achieved_per_s, res.errors + (res.sent - res.completed)

        measured(f"open loop, {rate:,}/s over 32 connections, {seconds} s", opened)
    return Coverage(closed[0], runs, idle)


async def _coverage_cards(insurance_url: str, key: str, persons: int) -> str:
    """``persons`` persons known to insurance by their national-ID digest, each with a card valid in the period (set
    based, no events: this run measures the check only). Returns a covered person's national ID."""
    nids = [f"0840{i % 100:02d}{i:06d}" for i in range(1, persons + 1)]
    digests = [digest(key, n) for n in nids]
    conn = await asyncpg.connect(to_asyncpg_url(insurance_url).replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(
            """
            INSERT INTO insurance.persons (id, date_of_birth, sex, registered_on, national_id_digest, commune_code,
                district_code, province_code)
            SELECT md5('bench-cov-' || i)::uuid, DATE '1950-01-01' + (i % 9000)::int, 'female', DATE '2020-01-01', d,
                   '29410', '842', '84'
            FROM unnest($1::text[]) WITH ORDINALITY AS t(d, i)""",
            digests,
        )
        await conn.execute(
            f"""
            INSERT INTO insurance.cards (id, person_id, group_code, code, number, issuing_province, valid_from,
                valid_to, commune_code, district_code, province_code)
            SELECT gen_random_uuid(), md5('bench-cov-' || i)::uuid, 'BT', 'BT286' || lpad(i::text, 10, '0'),
                   lpad(i::text, 10, '0'), '86', DATE '{PERIOD}-01' - 300, DATE '{PERIOD}-01' + 65, '29410', '842', '84'
            FROM generate_series(1, {persons}) AS i"""
        )
        await conn.execute("ANALYZE insurance.persons; ANALYZE insurance.cards")
    finally:
        await conn.close()
    return nids[len(nids) // 2]


def run_coverage(quick: bool = False, write: bool = True) -> list[CoverageRun]:
    """The coverage check alone (``--only insurance-coverage``): the seed's 136,539 persons with a card written
    directly, then the closed- and open-loop runs of :func:`_coverage`."""
    persons, seconds = (6_600, 3) if quick else (CHILDREN + BENEFICIARIES, 15)
    seconds = COVERAGE_SECONDS or seconds
    with bench_admin_url() as admin:
        with running_stack(
            admin,
            INSURANCE_COVERAGE_RATE="1000000",
            INSURANCE_COVERAGE_BURST="1000000",
            INSURANCE_DB_POOL_SIZE=POOL,
        ) as stack:
            urls = stack.config.urls()
            pids = {name: stack.procs[name].pid for name in ("insurance", "gateway")}
            profilers = _profilers(pids)
            key = stack.config.extra_env["INSURANCE_IDENTITY_KEY"]
            nid = asyncio.run(_coverage_cards(urls["insurance"], key, persons))
            started = _uptime().split("load average:")[-1].strip()
            cov = _coverage(stack, Cpu(pids), nid, seconds, OPEN_RATES)
            for p in profilers:
                p.send_signal(2)
                p.wait(timeout=60)
    if write and not quick:
        record("insurance-coverage", _coverage_report(cov, persons, started))
    return cov.runs


def _coverage_report(cov: Coverage, persons: int, started: str) -> str:
    runs = cov.runs
    idle = ", ".join(f"{k} {1000 * v:.0f} ms" for k, v in cov.idle.items())
    rows = "\n".join(
        f"| {r.label} | {r.per_s:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | "
        f"{r.calls / max(r.commits, 1):.1f} | {sum(v for k, v in r.cpu_per_call_ms().items() if k != 'loader'):.2f}: "
        + ", ".join(f"{k} {v:.2f}" for k, v in r.cpu_per_call_ms().items() if v >= 0.005)
        + f" | {r.load} |"
        for r in runs
    )
    return f"""## Insurance: the coverage check under load (`--only insurance-coverage`)

`python -m bench --only insurance-coverage`, {datetime.now(UTC):%Y-%m-%d}, {machine()}; real processes (gateway + four
services) on an embedded PostgreSQL (insurance's SQLAlchemy pool {POOL}; the check's own pool: 8 connections, one batch
of calls in flight on each). {persons:,} persons with a card (written directly), one
hospital client; `GET /insurance/coverage` through the gateway, every call audited (calls a commit: the audit rows ÷ the
statements that wrote them — the group commit's mean batch). Closed loop: wrk, 32 connections,
each sends its next call when the previous answer arrives. Open loop (`bench/openloop.py`): calls due at a fixed
rate, sent over 32 keep-alive connections; a call's latency runs from the time it was due, so time spent queued
behind busy connections counts. CPU per call: each process's CPU seconds during the run ÷ the audit rows written
(one per call answered), background work included (with no call, a second costs: {idle}); "loader" is the
open-loop generator (wrk's own CPU is not counted). Load average at the start: {started}.

| load | calls/s | p50 ms | p99 ms | errors | calls a commit | CPU ms per call (service total, loader excluded: process) | load average after |
|---|---|---|---|---|---|---|---|
{rows}

Target: p99 < 20 ms at c=32 through the gateway.
"""


def _one(admin: str, children: int, beneficiaries: int, seconds: int, one_by_one: bool = False) -> Result:
    result = Result(children, beneficiaries, one_by_one=one_by_one, path="in-process" if one_by_one else PATH)
    result.load.append(_uptime())
    events = _events(children, beneficiaries)
    # Insurance's SQLAlchemy pool holds 34 connections: the coverage check used it until it got a pool of its own
    # (INSURANCE_COVERAGE_POOL_SIZE, 8); kept so that runs of the earlier code compare at c=32.
    with running_stack(
        admin,
        GATEWAY_UPSTREAM_READ_TIMEOUT="900",
        INSURANCE_COVERAGE_RATE="1000000",
        INSURANCE_COVERAGE_BURST="1000000",
        INSURANCE_DB_POOL_SIZE=POOL,
    ) as stack:
        urls = stack.config.urls()
        pid = stack.procs["insurance"].pid
        pids = {name: stack.procs[name].pid for name in ("insurance", "registry", "gateway")}
        profilers = _profilers(pids)
        asyncio.run(_persons(urls["registry"], children, beneficiaries))
        result.idle_rss_mb = psutil.Process(pid).memory_info().rss / 2**20
        cpu = Cpu(pids)
        with _rss(pid) as peak:
            result.inbox_s, result.enrol_s = asyncio.run(
                _enrol(stack, urls["insurance"], events, result.path, one_by_one)
            )
            result.cpu["enrolment"] = cpu.mark()
            result.load.append(_uptime())
            result.events_per_s = len(events) / result.enrol_s
            officer = asyncio.run(bearer(stack, ["insurance:read", "insurance:write"], name="bench-ins"))
            bhxh = asyncio.run(bearer(stack, ["insurance:exchange"], name="bench-bhxh"))
            with httpx.Client(base_url=stack.url("gateway"), timeout=900) as http:
                t = time.perf_counter()
                r = http.post("/insurance/lists", json={"period": PERIOD}, headers=officer)
                r.raise_for_status()
                result.build_s = time.perf_counter() - t
                result.cpu["list"] = cpu.mark()
                lst = r.json()
                result.items = lst["counts"]
                t = time.perf_counter()
                size, lines = 0, 0
                with http.stream(
                    "GET", f"/insurance/lists/{lst['id']}/download", params={"format": "csv"}, headers=bhxh
                ) as resp:
                    resp.raise_for_status()
                    for chunk in resp.iter_bytes():
                        size += len(chunk)
                        lines += chunk.count(b"\n")
                result.csv_s = time.perf_counter() - t
                result.cpu["csv"] = cpu.mark()
                result.load.append(_uptime())
                result.csv_rows, result.csv_mb = lines - 1, size / 2**20
                body = asyncio.run(_results_file(urls["insurance"], lst["id"], min(RESULTS_FILE, result.csv_rows)))
                cpu.mark()
                t = time.perf_counter()
                r = http.post(
                    f"/insurance/lists/{lst['id']}/results/file",
                    content=body,
                    headers={**bhxh, "Content-Type": "text/csv", "Idempotency-Key": f"bench-{lst['id']}"},
                )
                r.raise_for_status()
                result.results_s = time.perf_counter() - t
                result.cpu["results"] = cpu.mark()
                result.results_rows = min(RESULTS_FILE, result.csv_rows)
                result.results_applied, result.results_exceptions = r.json()["applied"], len(r.json()["exceptions"])
                result.load.append(_uptime())
        result.peak_rss_mb = peak[0] / 2**20
        asyncio.run(_cards(urls["insurance"], lst["id"]))
        # Person 103,340 is the first beneficiary: born 1930 + 103340 % 36, male/female by parity.
        i = children + 1
        born = date(1930 + i % 36, 1 + i % 12, 1 + i % 28)
        nid = f"084{(0 + i % 2)}{born:%y}{i % 1_000_000:06d}"
        cov = _coverage(stack, cpu, nid, seconds, OPEN_RATES)
        result.coverage, result.coverage_runs = cov.closed, cov.runs
        result.cpu["coverage"] = cov.runs[0].cpu
        result.load.append(_uptime())
        for p in profilers:
            p.send_signal(2)  # SIGINT: py-spy writes its file
            p.wait(timeout=60)
    print(
        f"{children:,} children + {beneficiaries:,} beneficiaries: {len(events):,} events through the inbox in "
        f"{result.inbox_s:.1f} s, all decided after {result.enrol_s:.1f} s ({result.events_per_s:,.0f} events/s); "
        f"list {result.items} built in {result.build_s:.1f} s; CSV {result.csv_rows:,} rows, "
        f"{result.csv_mb:.1f} MB in {result.csv_s:.1f} s; results file of {result.results_rows:,} rows in "
        f"{result.results_s:.1f} s ({result.results_applied:,} applied, {result.results_exceptions} exceptions); "
        f"insurance peak RSS {result.peak_rss_mb:.0f} MB "
        f"(idle {result.idle_rss_mb:.0f}); coverage c=32 {result.coverage}"
    )
    print(f"CPU seconds per phase: {result.cpu}")
    print("load: " + " | ".join(result.load))
    return result


def run(quick: bool = False, write: bool = True) -> Result:
    children, beneficiaries, seconds = (5_000, 1_600, 3) if quick else (CHILDREN, BENEFICIARIES, 15)
    if size := os.environ.get("BENCH_INSURANCE_SIZE"):  # "children,beneficiaries": an intermediate scale
        children, beneficiaries = (int(n) for n in size.split(","))
        write = False
    one_by_one = os.environ.get("BENCH_INSURANCE_ONE_BY_ONE") == "1"
    with bench_admin_url() as admin:
        result = _one(admin, children, beneficiaries, seconds, one_by_one)
    if write and not quick:
        record("insurance", _report(result, seconds))
    return result


def _path_note(r: Result) -> str:
    if r.path == "hub" and not r.one_by_one:
        return (
            "the enrolment goes through the real hub: the benchmark publishes the registry's events to the gateway "
            '("bench (inbox)" above is only that publishing), the gateway stores them and delivers them to the '
            "insurance process, whose inbox applies them."
        )
    return (
        'the enrolment feeds the inbox code in the benchmark\'s own process ("bench (inbox)" above: the handlers run '
        "there), without the hub in between (the hub's own rate is in the events section)."
    )


def _cpu(r: Result, phase: str) -> str:
    spent = r.cpu.get(phase, {})
    return ", ".join(f"{name} {sec:.1f}" for name, sec in spent.items() if sec >= 0.05) or "–"


def _report(r: Result, seconds: int) -> str:
    cov = r.coverage
    assert cov is not None
    path = (
        "in the benchmark's process: `EVENTS.inbox.apply` per event"
        if r.one_by_one
        else "published to the gateway's hub (`POST /events`, 1,000 per request), delivered by the hub to the running "
        "insurance service in batched deliveries (`POST /events/inbox/batch`, applied with `apply_many`)"
        if r.path == "hub"
        else "in the benchmark's process, no hub: `EVENTS.inbox.apply_many`, 1,000 events per transaction; 4 streams"
    )
    loads = "; ".join(u.split("load average:")[-1].strip() for u in r.load)
    opened = "".join(
        f"| coverage check, {run.label} | p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms, {run.per_s:,.0f} calls/s, "
        f"{run.errors} errors | "
        + ", ".join(f"{k} {v:.1f}" for k, v in run.cpu.items() if v >= 0.05)
        + " | p99 < 20 ms |\n"
        for run in r.coverage_runs[1:]
    )
    return f"""## Insurance: enrolment from events, the BHXH list, the coverage check

`make bench` (`python -m bench --only insurance`), {datetime.now(UTC):%Y-%m-%d}, {machine()}; real processes on an
embedded PostgreSQL. {r.children:,} children under 6 and {r.beneficiaries:,} social-allowance beneficiaries (the
seed's scale). Load average (1, 5, 15 min) at the start and after each phase: {loads}.

| step | result | CPU seconds (process: s) | target |
|---|---|---|---|
| enrolment: {r.children + r.beneficiaries * 2:,} registry events through the insurance inbox ({path}), every person decided by the running service's worker | {r.enrol_s:.1f} s ({r.events_per_s:,.0f} events/s; events applied in {r.inbox_s:.1f} s) | {_cpu(r, "enrolment")} | < 120 s |
| the period's list built (`POST /insurance/lists`: {", ".join(f"{k} {v:,}" for k, v in r.items.items())}; identities of everyone read from the registry through the gateway) | {r.build_s:.1f} s | {_cpu(r, "list")} | |
| the list as CSV (`GET …/download?format=csv`, identities read again chunk by chunk): {r.csv_rows:,} rows, {r.csv_mb:.1f} MB | {r.csv_s:.1f} s | {_cpu(r, "csv")} | < 10 s |
| BHXH's results file posted back (`POST …/results/file` through the gateway): {r.results_rows:,} rows, {r.results_applied:,} applied (cards issued with their history and events; one row in 50 a rejection), {r.results_exceptions} exceptions | {r.results_s:.1f} s | {_cpu(r, "results")} | within the gateway's 30 s |
| insurance process peak resident memory (enrolment, list, CSV, results) | {r.peak_rss_mb:.0f} MB (idle {r.idle_rss_mb:.0f} MB) | | < 300 MB |
| coverage check through the gateway, wrk c=32, {seconds} s | p50 {cov.p50_ms:.1f} ms, p99 {cov.p99_ms:.1f} ms, {cov.requests_per_s:,.0f} req/s, {cov.errors} errors | {_cpu(r, "coverage")} | p99 < 20 ms |
{opened}
Notes: {_path_note(r)} The decision worker runs in the insurance process. The list phase's CPU includes issuing the benchmark's two tokens (the gateway checks client
secrets with Argon2). The results file answers the list's first 10,000 persons; cards for the rest of the list (the
coverage check's) are written directly.
Every coverage call writes its audit row.
"""
