"""What each part of the nginx data plane costs nginx per request (issue 16, item 2), nginx alone.

The gateway benchmark (``bench/gateway.py``) puts the data plane at ~0.75-0.8 of plain nginx's throughput. Here the
parts are added one at a time to a plain keep-alive proxy, as ``gateway/nginx.py`` renders them, in front
of an upstream that is nginx too (a static answer, and for the pass a static 200 with ``X-Accel-Expires``), so that
nothing but the proxy's own work differs between rows. Each row: the proxy's CPU time per request (its one process,
no master, user + system from /proc ÷ requests) and requests/s, wrk with one thread and 32 connections, 5 s a run,
alternated over rounds (the order reversed every other round), the median kept.

Rows, each adding to the one before:

* ``plain`` — ``proxy_pass`` to a keep-alive upstream;
* ``+ forwarded headers, path map`` — the service path taken from the raw request line (a map, a variable
  ``proxy_pass``) and the ``X-Forwarded-*`` headers of every proxied request, unbuffered both ways;
* ``+ request id`` — the ``X-Request-ID`` sent on and returned: the client's if sane (a map), else a new UUID
  (``$ansinh_request_id``, from the pass module);
* ``+ auth_request (answer 204)`` — the subrequest itself, to a location that answers at once;
* ``+ pass from shared memory`` — the subrequest answered from the pass module's table (``$ansinh_pass``), as deployed;
* ``+ auth_request_set (a refusal's variables)`` — the five variables a refusal would carry: the data plane;
* ``data plane, pass from proxy_cache (before)`` — the same, with the passes in ``proxy_cache`` on tmpfs with
  ``open_file_cache`` as before the module (not cumulative: compare it with the row above it).

The parts are ``gateway/nginx.py``'s own (``MAPS``, ``FORWARDING``, ``PASS_ZONE``, ``CHECK_LOCATION``,
``REFUSAL_VARIABLES``); the
upstream stands in for the gateway (``ansinh_gateway``, the pass at ``/auth/check``) and the services.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import tempfile

from common.testing import free_port
from gateway import nginx
from gateway.nginx import CHECK_LOCATION, FORWARDING, MAPS, PASS_ZONE, REFUSAL_VARIABLES

from .gateway import _TMPFS, _cpu, _nginx, _proxy_cache, _wait, ensure_nginx
from .harness import load_average, machine, record, wrk

ROUNDS, ROUNDS_QUICK = 5, 2


def _token_like() -> str:
    """A token the length and shape of the gateway's (ES256, the claims of ``issue_token``), not signed: the pass key
    holds the whole token, so its length is part of what a lookup costs."""
    import base64
    import json
    import uuid

    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).rstrip(b"=").decode()

    claims = {
        "iss": "https://ansinh.gov.vn",
        "aud": "ansinh",
        "sub": "bench-cached",
        "client_id": "bench-cached",
        "rid": uuid.UUID(int=1).hex,
        "scope": "registry:read",
        "areas": [],
        "iat": 1764900000.123,
        "nbf": 1764900000,
        "exp": 1764903600,
        "jti": uuid.UUID(int=2).hex,
        "rl": [1000000, 1000000],
    }
    signature = base64.urlsafe_b64encode(bytes(64)).rstrip(b"=").decode()
    return f"{part({'alg': 'ES256', 'kid': 'k' * 32, 'typ': 'JWT'})}.{part(claims)}.{signature}"


TOKEN = {"Authorization": "Bearer " + _token_like()}

_UPSTREAM = """{main}
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server {{
        listen 127.0.0.1:{port};
        location = /auth/check {{ add_header X-Accel-Expires 60; return 200 ''; }}
        location / {{ default_type application/json; return 200 '{{"client_id":"bench","scopes":["registry:read"]}}'; }}
    }}
}}
"""

_CHECK_204 = """
        location = /_ansinh/check { internal; return 204; }
"""

PARTS = [
    "plain",
    "+ forwarded headers, path map",
    "+ request id",
    "+ auth_request (answer 204)",
    "+ pass from shared memory",
    "+ auth_request_set (a refusal's variables)",
    "data plane, pass from proxy_cache (before)",
]


def _proxy(level: int, upstream: int, listen: int, workdir: str, cache: str, module: str) -> str:
    """The proxy with the first ``level`` parts after ``plain`` (the last level: the data plane as before)."""
    if level == len(PARTS) - 1:
        return _proxy_cache(_proxy(level - 1, upstream, listen, workdir, cache, module), cache)
    forwarding = (
        FORWARDING
        if level >= 2
        else "".join(line for line in FORWARDING.splitlines(keepends=True) if "Request-ID" not in line)
    )
    temps = "".join(f"    {k}_temp_path {workdir}/{k};\n" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    check = _CHECK_204 if level == 3 else CHECK_LOCATION if level >= 4 else ""
    auth = "auth_request /_ansinh/check;" if level >= 3 else ""
    target = "http://ansinh_gateway$ansinh_path$is_args$args" if level >= 1 else "http://ansinh_gateway"
    passes = level >= 4  # the module's table and its check location (its request id from level 1: MAPS)
    return f"""{f"load_module {module};" if level >= 1 else ""}
{nginx.foreground(workdir)}
pcre_jit on;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temps}{PASS_ZONE if passes else ""}    upstream ansinh_gateway {{ server 127.0.0.1:{upstream}; keepalive 64; }}
{MAPS if level >= 1 else ""}
    server {{
        listen 127.0.0.1:{listen};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
{forwarding if level >= 1 else ""}{check}
        location @refused {{ return 403; }}
        location @failed {{ return 503; }}
        location /registry/ {{
            set $ansinh_service registry;
            {auth}
{REFUSAL_VARIABLES if level >= 5 else ""}            error_page 401 403 = @refused;
            error_page 413 502 504 500 = @failed;
            proxy_pass {target};
        }}
    }}
}}
"""


def run(quick: bool = False, write: bool = True) -> dict[str, list[tuple[float, float]]]:
    module = ensure_nginx()
    seconds = 3 if quick else 5
    results: dict[str, list[tuple[float, float]]] = {}
    before = load_average()
    with tempfile.TemporaryDirectory(prefix="ansinh-nginx-parts-") as work:
        cache = tempfile.mkdtemp(prefix="ansinh-nginx-parts-", dir=_TMPFS) if _TMPFS else f"{work}/cache"
        upstream = free_port()
        os.makedirs(f"{work}/up", exist_ok=True)
        up_conf = _UPSTREAM.format(main=nginx.foreground(f"{work}/up"), port=upstream)
        try:
            with _nginx(up_conf, f"{work}/up"):
                for i in range(ROUNDS_QUICK if quick else ROUNDS):
                    order = list(enumerate(PARTS)) if i % 2 == 0 else list(enumerate(PARTS))[::-1]
                    for level, name in order:
                        listen = free_port()
                        workdir = f"{work}/p{level}-{i}"
                        os.makedirs(workdir, exist_ok=True)
                        with _nginx(_proxy(level, upstream, listen, workdir, cache, module), workdir) as proc:
                            url = f"http://127.0.0.1:{listen}/registry/me"
                            _wait(url, proc)
                            wrk(url, 32, 1, TOKEN)  # warm-up: connections, the pass cached
                            cpu0 = _cpu([proc.pid])
                            load = wrk(url, 32, seconds, TOKEN)
                            used = _cpu([proc.pid]) - cpu0
                        if load.errors:
                            raise RuntimeError(f"{name}: {load.errors} answers were not 2xx (a broken configuration)")
                        rate = load.requests_per_s
                        us = used / (rate * seconds) * 1e6
                        results.setdefault(name, []).append((us, rate))
                        print(f"round {i + 1}  {name:<42} {rate:9.0f} req/s  {us:5.1f} µs/request", flush=True)
        finally:
            if _TMPFS:
                subprocess.run(["rm", "-rf", cache], check=False)
    after = load_average()
    table = _table(results)
    print(table)
    if write and not quick:
        record(
            "nginx-parts",
            f"""## The nginx data plane, part by part (`bench/nginx_parts.py`, `--only nginx-parts`)

Measured {dt.date.today().isoformat()} on {machine()} (load average {before} before, {after} after). nginx alone:
a plain keep-alive proxy, then the data plane's parts added one at a time in the shape `gateway/nginx.py` renders
them, in front of an nginx upstream answering a static document (and a static pass with `X-Accel-Expires`), wrk one
thread, 32 connections, {seconds} s per run, {len(next(iter(results.values())))} alternated rounds, the median of each.
nginx CPU is the proxy process's own (one process, no master) ÷ requests.

{table}""",
        )
    return results


def _table(results: dict[str, list[tuple[float, float]]]) -> str:
    lines = [
        "| configuration | nginx CPU µs/request, median | added by this part | req/s, median | ÷ plain |",
        "|---|---|---|---|---|",
    ]
    plain_rate = statistics.median(r for _, r in results[PARTS[0]])
    previous = None
    for name in PARTS:
        us = statistics.median(u for u, _ in results[name])
        rate = statistics.median(r for _, r in results[name])
        added = "" if previous is None else f"{us - previous:+.1f}"
        lines.append(f"| {name} | {us:.1f} | {added} | {rate:,.0f} | {rate / plain_rate:.2f} |")
        previous = us
    return "\n".join(lines)
