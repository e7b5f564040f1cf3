"""The gateway's own cost: a trivial upstream directly, through nginx, through the gateway, and through the nginx data
plane (nginx carrying the traffic, the gateway deciding through ``auth_request``), in one run.

The upstream (``bench/upstream.py``, uvicorn, one worker) answers a small JSON document in well under a millisecond,
so what differs between the rows is the proxy. Every row is authenticated the same way (the upstream ignores the
token); the gateway verifies it (cached), checks the route's scope from the upstream's OpenAPI, applies the client's
rate limit (in memory) and proxies over its pooled keep-alive client (gateway/http1.py). Load: wrk, one thread, on the same machine.

Besides requests/s — which on a shared machine moves with the neighbours' load — each row records the **CPU time per
request of the proxy process(es)**: their own CPU seconds (user + system, from /proc) during the run ÷ the requests
wrk completed. That figure is stable where req/s is not.

Data plane rows: ``cached`` is a client whose rate limit is at least ``GATEWAY_AUTH_CACHE_MIN_RATE`` (nginx reuses the
gateway's pass for 2 s per token and route); ``checked`` is a client below it (the gateway is asked on every request:
its rate limit counts every request).

The alternated rounds at the end also run a **ceiling**: the data plane with a pass that costs nothing to find (its
check location answers 204 at once). No design that keeps the decision in the gateway can beat it; the gap between it
and the cached row is what the pass lookup itself costs.

nginx (Debian's package) and wrk are installed with apt-get when missing and the benchmark runs as root.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import psutil

from ansinh import database, local
from ansinh.clients import in_gateway_db
from ansinh.stack import Stack, StackConfig, prepare_database
from common.testing import free_port
from gateway import nginx
from gateway.auth import service as auth_service
from gateway.nginx import CHECK_LOCATION, PASS_ZONE

from .harness import BENCH_DB, LoadResult, admin_url, ensure_wrk, machine, record, wrk

CONNECTIONS = (32, 128)
ROUTE = "/me"
ROUNDS, ROUNDS_QUICK = 5, 2
PAIRS, PAIRS_QUICK = 6, 3
"""Rounds of plain nginx against the data plane (cached), 3 s each, alternating which goes first: the ratio that
decides the data plane's target, measured so that the neighbours' drift hits both alike."""
CACHE_MIN_RATE = 500_000
"""The bench gateway caches passes for clients at or above this rate: ``cached`` has 1,000,000/s, ``checked``
400,000/s (both far above what wrk reaches here, so neither is ever limited)."""

_TMPFS = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
"""Where the before row's ``proxy_cache`` of passes goes: tmpfs, as that design was deployed."""


@dataclass
class Row:
    name: str
    load: LoadResult
    requests: int
    cpu_us: float
    """Proxy CPU per request, µs (nginx + gateway for the data plane)."""
    detail: str = ""
    split: list[float] = field(default_factory=list)
    """The same per process, in the order of the pids measured (data plane: nginx, then the gateway)."""


def ensure_nginx() -> str:
    """nginx, and the data plane's pass module built for it (nginx-dev): installed with apt-get when missing."""
    if not nginx.module_buildable() and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing nginx and nginx-dev (Debian packages) for the comparison …")
        subprocess.run(["apt-get", "install", "-y", "-q", "nginx", "nginx-dev"], check=False, capture_output=True)
    if not nginx.module_buildable():
        raise SystemExit("the nginx benchmarks need nginx and nginx-dev: apt-get install nginx nginx-dev")
    return nginx.ensure_module(local.VAR / "nginx-module")


def _plain_nginx(upstream: str, listen: int, workdir: str, workers: str = "1") -> str:
    os.makedirs(workdir, exist_ok=True)
    temps = "".join(f"    {k}_temp_path {workdir}/{k};\n" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{nginx.foreground(workdir, workers)}
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temps}    upstream up {{ server {upstream}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{listen};
        location / {{
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


@contextmanager
def _process(cmd: list[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def _nginx(conf: str, workdir: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = nginx.start(conf, workdir)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(10)


def _wait(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up")
        time.sleep(0.1)


def _cpu(pids: list[int]) -> float:
    """CPU seconds of these processes and their children (nginx's workers under a master)."""
    total = 0.0
    for pid in pids:
        process = psutil.Process(pid)
        for p in (process, *process.children(recursive=True)):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def _measure(
    name: str, url: str, conns: int, seconds: int, headers: dict[str, str], pids: list[int], detail: str = ""
) -> Row:
    spy = os.environ.get("BENCH_PYSPY")  # a py-spy binary: profile the gateway row at 32 connections
    profiler = None
    if spy and name == "gateway" and conns == CONNECTIONS[0]:
        out = local.VAR / "gateway-profile.txt"
        profiler = subprocess.Popen(
            [
                spy,
                "record",
                "-p",
                str(pids[-1]),
                "-f",
                "raw",
                "-o",
                str(out),
                "-d",
                str(seconds),
                "-r",
                "200",
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    before = [_cpu([pid]) for pid in pids]
    load = wrk(url, conns, seconds, headers, watch_pid=pids[-1])
    used = [_cpu([pid]) - b for pid, b in zip(pids, before, strict=True)]
    if profiler is not None:
        profiler.wait(30)
    requests = round(load.requests_per_s * seconds)  # wrk's own count is printed with a unit; this is close enough
    row = Row(name, load, requests, sum(used) / max(requests, 1) * 1e6, detail)
    row.split = [u / max(requests, 1) * 1e6 for u in used]
    split = f" ({' + '.join(f'{u:.0f}' for u in row.split)})" if len(pids) > 1 else ""
    print(
        f"{conns:>4} conns  {name:<22} {load.requests_per_s:8.0f} req/s  p50 {load.p50_ms:6.2f} ms  "
        f"p99 {load.p99_ms:6.2f} ms  proxy CPU {row.cpu_us:6.0f}{split} µs/req  errors {load.errors}"
    )
    return row


async def _client(gateway_db_url: str, name: str, rate: int) -> tuple[str, str]:
    async def create(session):  # type: ignore[no-untyped-def]
        issued = await auth_service.create_client(
            session, name, scopes=["registry:read"], areas=[], rate_per_second=rate, burst=rate
        )
        return issued.client.client_id, issued.secret

    return await in_gateway_db(gateway_db_url, create)


def _token(gateway: str, client: tuple[str, str]) -> dict[str, str]:
    r = httpx.post(gateway + "/auth/token", data={"grant_type": "client_credentials"}, auth=client)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _baseline(config: StackConfig, source: str, port: int) -> subprocess.Popen[bytes]:
    """A second gateway (same database) from another source tree, e.g. ``git archive <commit> | tar -x -C dir``:
    the before/after of a change measured in the same run."""
    env = {**config.environ(), "GATEWAY_PORT": str(port), "PYTHONPATH": source}
    return subprocess.Popen(
        [sys.executable, "-m", "ansinh", "serve", "gateway"],
        cwd=source,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def run(quick: bool = False, write: bool = True) -> dict[int, list[Row]]:
    seconds = 3 if quick else 10
    pair_seconds = 3 if quick else 5
    ensure_wrk()
    module = ensure_nginx()
    results: dict[int, list[Row]] = {}
    rounds: dict[str, list[float]] = {}
    pairs: dict[str, list[Row]] = {}
    load_before = os.getloadavg()
    with (
        admin_url() as admin,
        tempfile.TemporaryDirectory(prefix="ansinh-bench-nginx-") as workdir,
        tempfile.TemporaryDirectory(prefix="ansinh-bench-nginx-", dir=_TMPFS) as cache_dir,
    ):
        up_port, plain_port, edge_port = free_port(), free_port(), free_port()
        ports = {c: free_port() for c in database.COMPONENTS}
        passwords = {c: secrets.token_urlsafe(16) for c in database.COMPONENTS}
        upstream = f"127.0.0.1:{up_port}"
        config = StackConfig(
            admin_url=admin,
            database=BENCH_DB,
            passwords=passwords,
            ports=ports,
            environment="test",
            extra_env={
                "GATEWAY_LOG_LEVEL": "WARNING",
                "GATEWAY_REGISTRY_URL": f"http://{upstream}",
                "GATEWAY_AUTH_CACHE_MIN_RATE": str(CACHE_MIN_RATE),
                # The run outlasts the default 5 minutes; near its expiry a token's passes are no longer cached.
                "GATEWAY_TOKEN_TTL_SECONDS": "3600",
            },
        )
        asyncio.run(database.drop_database(admin, BENCH_DB))
        asyncio.run(prepare_database(config))
        local.VAR.mkdir(parents=True, exist_ok=True)
        up_cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.upstream:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(up_port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        services = {
            name: (upstream if name == "registry" else f"127.0.0.1:{free_port()}")
            for name in ("registry", "payments", "insurance", "child_protection")
        }

        def edge_conf(port: int, name: str, workers: str = "1") -> str:
            os.makedirs(f"{workdir}/{name}", exist_ok=True)
            return nginx.render(
                gateway=f"127.0.0.1:{ports['gateway']}",
                services=services,
                listen=f"127.0.0.1:{port}",
                main=nginx.foreground(f"{workdir}/{name}", workers),
                temp_dir=f"{workdir}/{name}",
                module=module,
            )

        free_port_, before_port, plain_auto_port, edge_auto_port = free_port(), free_port(), free_port(), free_port()
        with open(local.VAR / "bench-stack.log", "w") as log, _process(up_cmd) as up:
            _wait(f"http://{upstream}/openapi.json", up)
            stack = Stack(config, out=log)
            stack.start(("gateway",))
            bases: list[tuple[str, int, subprocess.Popen[bytes]]] = []
            try:
                stack.wait_ready(60, ("gateway",))
                gateway = stack.url("gateway")
                gateway_db = config.urls()["gateway"]
                cached = _token(gateway, asyncio.run(_client(gateway_db, "bench-cached", 1_000_000)))
                checked = _token(gateway, asyncio.run(_client(gateway_db, "bench-checked", 400_000)))
                with (
                    _nginx(_plain_nginx(upstream, plain_port, f"{workdir}/plain"), f"{workdir}/plain") as plain,
                    _nginx(edge_conf(edge_port, "edge"), f"{workdir}/edge") as edge,
                    _nginx(_free_pass(edge_conf(free_port_, "free")), f"{workdir}/free") as free,
                    _nginx(
                        _proxy_cache(edge_conf(before_port, "before"), f"{cache_dir}/before"), f"{workdir}/before"
                    ) as before,
                    _nginx(
                        _plain_nginx(upstream, plain_auto_port, f"{workdir}/plain-auto", "auto"),
                        f"{workdir}/plain-auto",
                    ) as plain_auto,
                    _nginx(edge_conf(edge_auto_port, "edge-auto", "auto"), f"{workdir}/edge-auto") as edge_auto,
                ):
                    _wait(f"http://127.0.0.1:{plain_port}{ROUTE}", plain)
                    _wait(f"http://127.0.0.1:{edge_port}/health", edge)
                    gw_pid = stack.procs["gateway"].pid
                    # BENCH_GATEWAY_BASELINE="label=dir,label=dir": gateways from other source trees, same run.
                    for item in filter(None, os.environ.get("BENCH_GATEWAY_BASELINE", "").split(",")):
                        label, _, source = item.partition("=")
                        port = free_port()
                        bases.append((label, port, _baseline(config, source, port)))
                        _wait(f"http://127.0.0.1:{port}/ready", bases[-1][2])
                    targets = [
                        ("direct", f"http://{upstream}{ROUTE}", cached, [up.pid]),
                        ("nginx", f"http://127.0.0.1:{plain_port}{ROUTE}", cached, [plain.pid]),
                        ("gateway", f"{gateway}/registry{ROUTE}", cached, [gw_pid]),
                        (
                            "nginx + gateway, cached",
                            f"http://127.0.0.1:{edge_port}/registry{ROUTE}",
                            cached,
                            [edge.pid, gw_pid],
                        ),
                        (
                            "nginx + gateway, checked",
                            f"http://127.0.0.1:{edge_port}/registry{ROUTE}",
                            checked,
                            [edge.pid, gw_pid],
                        ),
                    ]
                    for i, (label, port, proc) in enumerate(bases):
                        targets.insert(3 + i, (label, f"http://127.0.0.1:{port}/registry{ROUTE}", cached, [proc.pid]))
                    for _, url, headers, _ in targets:  # warm caches and connection pools
                        assert httpx.get(url, headers=headers).status_code == 200, url
                        wrk(url, 16, 1, headers)
                    for conns in CONNECTIONS:
                        results[conns] = [
                            _measure(name, url, conns, seconds, headers, pids) for name, url, headers, pids in targets
                        ]
                    edge_url = f"http://127.0.0.1:{{}}/registry{ROUTE}"
                    contest = [
                        (PLAIN, f"http://127.0.0.1:{plain_port}{ROUTE}", [plain.pid]),
                        (EDGE, edge_url.format(edge_port), [edge.pid, gw_pid]),
                        (BEFORE, edge_url.format(before_port), [before.pid, gw_pid]),
                        (FREE, edge_url.format(free_port_), [free.pid, gw_pid]),
                        (PLAIN_AUTO, f"http://127.0.0.1:{plain_auto_port}{ROUTE}", [plain_auto.pid]),
                        (EDGE_AUTO, edge_url.format(edge_auto_port), [edge_auto.pid, gw_pid]),
                    ]
                    _wait(f"http://127.0.0.1:{free_port_}/health", free)
                    _wait(f"http://127.0.0.1:{before_port}/health", before)
                    _wait(f"http://127.0.0.1:{plain_auto_port}{ROUTE}", plain_auto)
                    _wait(f"http://127.0.0.1:{edge_auto_port}/health", edge_auto)
                    for _, url, _ in contest[2:]:
                        assert httpx.get(url, headers=cached).status_code == 200, url
                        wrk(url, 16, 1, cached)
                    for i in range(PAIRS_QUICK if quick else PAIRS):
                        for name, url, pids in contest if i % 2 == 0 else contest[::-1]:
                            pairs.setdefault(name, []).append(
                                _measure(name, url, CONNECTIONS[0], pair_seconds, cached, pids)
                            )
                    if bases:  # the gateways alone, interleaved round by round: the machine's drift hits all alike
                        gateways = [t for t in targets if t[3] == [gw_pid] or t[0] in {b[0] for b in bases}]
                        for _ in range(ROUNDS_QUICK if quick else ROUNDS):
                            for name, url, headers, pids in gateways:
                                rounds.setdefault(name, []).append(
                                    _measure(name, url, CONNECTIONS[0], 3, headers, pids).cpu_us
                                )
            finally:
                for _, _, proc in bases:
                    proc.terminate()
                    proc.wait(10)
                stack.stop()
    load_after = os.getloadavg()
    load = f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    print(load)
    paired = _paired(pairs, pair_seconds)
    print(paired)
    if write and not quick:
        record("gateway", _report(results, seconds, load) + paired + _attribution(rounds))
    return results


PLAIN, EDGE = "nginx", "nginx + gateway, cached"
BEFORE = "nginx + gateway, cached, before (passes in proxy_cache on tmpfs, open_file_cache)"
FREE = "ceiling: nginx data plane, the pass found at no cost (check answers 204)"
PLAIN_AUTO, EDGE_AUTO = "nginx, worker_processes auto", "nginx + gateway, cached, worker_processes auto"


def _free_pass(conf: str) -> str:
    """The data plane with a pass that costs nothing to find: the check location answers 204 at once (no cache
    lookup, no gateway). The ceiling of any design that keeps the pass in nginx (a shared-memory table, a module):
    the ratio a pass check could reach here if it were free, measured in the same run."""
    if CHECK_LOCATION not in conf:
        raise RuntimeError("gateway/nginx.py no longer renders CHECK_LOCATION: update the ceiling row")
    return conf.replace(CHECK_LOCATION, "        location = /_ansinh/check { internal; return 204; }\n")


def _cached_check() -> str:
    """The check location before the pass module (main until 2026-12-05): the gateway's answer with its passes in
    ``proxy_cache`` (the entries' files kept open), instead of the module's table."""
    kept = [
        line
        for line in CHECK_LOCATION.splitlines(keepends=True)
        if "ansinh_pass" not in line and not line.lstrip().startswith("#")
    ]
    cache = """            proxy_buffering on;
            proxy_cache ansinh_auth;
            proxy_cache_key "$http_authorization|$request_method|$ansinh_service|$ansinh_path";
            open_file_cache max=1000 inactive=30s;
            open_file_cache_valid 10s;
"""
    return "".join(kept[:-1]) + cache + kept[-1]


def _proxy_cache(conf: str, cache: str) -> str:
    """The data plane as it was before the pass module, for the same-run comparison: the passes in nginx's
    ``proxy_cache`` (``cache``: on tmpfs, as that design was deployed, the entries' files kept open)."""
    if CHECK_LOCATION not in conf or PASS_ZONE.rstrip() not in conf:
        raise RuntimeError("gateway/nginx.py no longer renders CHECK_LOCATION / PASS_ZONE: update the before row")
    zone = f"    proxy_cache_path {cache} levels=1:2 keys_zone=ansinh_auth:10m max_size=64m inactive=30s use_temp_path=off;"
    return conf.replace(CHECK_LOCATION, _cached_check()).replace(PASS_ZONE.rstrip(), zone)


def _paired(pairs: dict[str, list[Row]], seconds: int) -> str:
    if not pairs:
        return ""
    lines = []
    for name, reference in (
        (PLAIN, None),
        (EDGE, PLAIN),
        (BEFORE, PLAIN),
        (FREE, PLAIN),
        (PLAIN_AUTO, None),
        (EDGE_AUTO, PLAIN_AUTO),
    ):
        rows = pairs[name]
        cpu = f"{statistics.median(r.cpu_us for r in rows):,.0f}"
        if reference is None:
            lines.append(f"| {name} | 1 | 1 | | {cpu} |")
            continue
        ratios = [e.load.requests_per_s / p.load.requests_per_s for p, e in zip(pairs[reference], rows, strict=True)]
        nginx_us = statistics.median(r.split[0] for r in rows)
        gateway_us = statistics.median(r.split[1] for r in rows)
        lines.append(
            f"| {name} | **{statistics.median(ratios):.2f}** | {min(ratios):.2f} | "
            f"{', '.join(f'{r:.2f}' for r in ratios)} | {cpu} (nginx {nginx_us:,.0f} + gateway {gateway_us:,.0f}) |"
        )
    table = "\n".join(lines)
    return f"""
**The data plane against plain nginx, alternated**: {len(pairs[PLAIN])} rounds, each running every path below
{seconds} s at {CONNECTIONS[0]} connections (cached client), the order reversed every other round, so that the
neighbours' load hits all alike; each ratio is the data plane's req/s over the plain nginx's of the same round and the
same worker setting (one worker process, as in the table above, or `worker_processes auto` with a master, as
deployed). CPU includes the workers.

| path | ÷ nginx, median | lowest round | every round | proxy CPU µs/request, median |
|---|---|---|---|---|
{table}
"""


def _attribution(rounds: dict[str, list[float]]) -> str:
    if not rounds:
        return ""
    order = sorted(rounds, key=lambda name: name != "gateway")  # this tree first, then the baselines as given
    rows = "\n".join(
        f"| {name} | {statistics.median(v):,.0f} | {min(v):,.0f}–{max(v):,.0f} | {len(v)} |"
        for name, v in ((n, rounds[n]) for n in order)
    )
    return f"""
The gateway at earlier commits (`BENCH_GATEWAY_BASELINE`), measured in the same run, interleaved (each round runs
every gateway 3 s at {CONNECTIONS[0]} connections), CPU µs per proxied request:

| gateway | median | range | rounds |
|---|---|---|---|
{rows}
"""


def _report(results: dict[int, list[Row]], seconds: int, load: str) -> str:
    lines = []
    for conns, rows in results.items():
        direct, plain = rows[0].load.requests_per_s, rows[1].load.requests_per_s
        for row in rows:
            lines.append(
                f"| {conns} | {row.name} | {row.load.requests_per_s:,.0f} | {row.load.p50_ms:.2f} / "
                f"{row.load.p99_ms:.2f} | {row.load.requests_per_s / direct:.2f} | "
                f"**{row.load.requests_per_s / plain:.2f}** | {row.cpu_us:,.0f} | {row.load.errors} |"
            )
    table = "\n".join(lines)
    return f"""## Gateway cost and the nginx data plane (`bench/gateway.py`)

Measured {dt.date.today().isoformat()} on {machine()} ({load}); wrk (1 thread) on the same machine, {seconds} s per
run, `GET /me` of a trivial upstream (`bench/upstream.py`: uvicorn, one worker, a small JSON document), authenticated
with a client holding `registry:read`. Rows: the upstream directly; nginx as a keep-alive proxy; the gateway (token
verified from its cache, route scope checked, rate limit in memory, pooled keep-alive client `gateway/http1.py`); the nginx data plane
(`deploy/nginx`: nginx forwards to the upstream after `auth_request` to the gateway's `/auth/check`), for a client
whose passes nginx may cache (`cached`) and one checked on every request (`checked`). **Proxy CPU** is the proxy
process's own CPU time (user + system, /proc) ÷ requests: nginx's, the gateway's, or both for the data plane.
Targets: gateway ≤ 250 µs per request; data plane ≥ 0.85 × nginx at 32 connections.

| connections | path | req/s | p50 / p99 ms | ÷ direct | ÷ nginx | proxy CPU µs/request | errors |
|---|---|---|---|---|---|---|---|
{table}
"""
