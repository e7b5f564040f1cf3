"""The nginx data plane: nginx carries the traffic (and TLS), the gateway keeps every decision.

``render`` writes the nginx configuration of that arrangement. Requests under a service prefix go from nginx
straight to the service, after an ``auth_request`` to the gateway's ``/auth/check`` (token, method, route scopes,
rate limit: the same code as the gateway's own proxy path). A pass may be reused by nginx for a short time, keyed
by token, method and route, when the gateway says so (``X-Accel-Expires``; only for clients whose rate limit is at
least ``GATEWAY_AUTH_CACHE_MIN_RATE``): nginx keeps it in shared memory through the module in
``deploy/nginx/ansinh_pass`` (built by ``deploy/nginx/build-module.sh``; :func:`ensure_module` for tests and
benchmarks). A refusal comes back as a 403 carrying the gateway's answer (status, problem
document, ``WWW-Authenticate`` / ``Retry-After`` / ``Allow``), which nginx returns to the client unchanged. Failures
nginx meets itself (body too large, service unreachable or silent) are worded by the gateway too. Everything else
(``/auth/*``, the event hub, reports, ``/metrics``, ``/health``) is proxied to the gateway as before.

``deploy/nginx/nginx.conf`` is ``render(**DEPLOY)`` (a test keeps them equal); the gateway tests run through a
rendering of it (``tests/gateway/conftest.py``), so both arrangements give the same answers.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from common.settings import SERVICES, public_prefix

INSTALLED_MODULE = "/usr/lib/nginx/modules/ngx_http_ansinh_pass_module.so"
"""Where deploy/nginx/Dockerfile installs the pass module (Debian's directory of nginx modules)."""

DEPLOY: dict[str, object] = {
    "gateway": "gateway:8000",
    "services": {name: f"{name.replace('_', '-')}:{port}" for name, port in SERVICES.items()},
    "listen": "443 ssl http2",  # Debian 12's nginx 1.22 has no `http2 on;` yet
    "tls": True,
    "max_body_bytes": 50 * 1024 * 1024,
    "read_timeout": 60.0,
    "connect_timeout": 2.0,
    "module": INSTALLED_MODULE,
    "main": "worker_processes auto;\npid /var/run/nginx.pid;",
}
"""The production arrangement (compose service ``tls``): service host names as in docker-compose.yml."""

KUBERNETES: dict[str, object] = {
    **DEPLOY,
    "listen": "8080",
    "tls": False,  # the Ingress ends TLS (deploy/k8s/ingress.yaml) and sends everything to this Deployment
    "main": "worker_processes auto;\npid /tmp/nginx.pid;",
    "temp_dir": "/tmp",
}
"""The Kubernetes ``edge`` Deployment (deploy/k8s/edge.yaml, unprivileged nginx on 8080, read-only root)."""

_REFUSAL_CODES = (401, 404, 405, 429)
_GATEWAY_DOWN = (
    '{"type":"https://ansinh.gov.vn/problems/service-unavailable","title":"Service unavailable",'
    '"status":503,"detail":"the gateway cannot decide on this request now"}'
)


# The parts of every proxied request (``bench/nginx_parts.py`` measures each on its own).
MAPS = """\
    # The request id: a sane incoming X-Request-ID (printable ASCII, at most 128 characters), else a new UUID
    # (version 4, as the gateway makes them: $ansinh_request_id, from the pass module).
    map $http_x_request_id $ansinh_rid {
        "~^[\\x20-\\x7e]{1,128}$" $http_x_request_id;
        default $ansinh_request_id;
    }
    # The path the service sees: the raw request path (still percent-encoded) without the service prefix.
    map $request_uri $ansinh_path {
        "~^/[a-z-]+(?<ansinh_p>/[^?]*)" $ansinh_p;
        default /;
    }
"""
"""The request id and the service path (http context)."""

FORWARDING = """        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $http_host;
        proxy_set_header X-Forwarded-Prefix "";
        proxy_set_header X-Request-ID $ansinh_rid;
        proxy_hide_header X-Request-ID;
        add_header X-Request-ID $ansinh_rid always;
        # Streams both ways: postal files download as they are produced, uploads are not spooled.
        proxy_buffering off;
        proxy_request_buffering off;
"""
"""What every request proxied to a service or the gateway carries (server context)."""

CHECK_LOCATION = """\
        # The decision for a service request: a pass the gateway allowed nginx to reuse (kept per token and route
        # in shared memory, ansinh_pass_zone), else the gateway's answer.
        location = /_ansinh/check {
            internal;
            if ($ansinh_pass) { return 204; }
            proxy_pass http://ansinh_gateway/auth/check;
            proxy_method GET;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Ansinh-Service $ansinh_service;
            proxy_set_header X-Ansinh-Error "";
            # A 200 with X-Accel-Expires: N (1..60) is kept for N seconds; a refusal is never kept.
            ansinh_pass_store $upstream_http_x_accel_expires;
        }
"""
"""The ``auth_request`` target: the gateway's decision, or a pass it allowed nginx to reuse (server context; upstream
``ansinh_gateway``; needs :data:`PASS_ZONE` and the module)."""

PASS_ZONE = """\
    # Passes of /auth/check (a 200 with X-Accel-Expires), for the seconds the gateway allows, per token and route
    # (method, service, raw path); a request without a token never has one.
    ansinh_pass_zone 10m $http_authorization "$request_method|$ansinh_service|$ansinh_path";
"""
"""The table of passes (http context): 10 MB holds about 10,000 passes (a 1 KB slab each with the gateway's ~570-byte
tokens); when it is full, the oldest go."""

MODULE_FILE = Path(INSTALLED_MODULE).name
_MODULE_SOURCES = Path(__file__).resolve().parent.parent / "deploy" / "nginx"
_NGINX_DEV = "/usr/share/nginx/src/conf_flags"


REFUSAL_VARIABLES = """            auth_request_set $ansinh_status $upstream_http_x_ansinh_status;
            auth_request_set $ansinh_problem $upstream_http_x_ansinh_problem;
            auth_request_set $ansinh_www_authenticate $upstream_http_x_ansinh_www_authenticate;
            auth_request_set $ansinh_retry_after $upstream_http_x_ansinh_retry_after;
            auth_request_set $ansinh_allow $upstream_http_x_ansinh_allow;
"""
"""What a refusal carries back from the gateway's answer (a service location, after ``auth_request``)."""


def render(
    *,
    gateway: str,
    services: dict[str, str],
    listen: str = "8080",
    tls: bool = False,
    max_body_bytes: int = 50 * 1024 * 1024,
    read_timeout: float = 30.0,
    connect_timeout: float = 2.0,
    gateway_read_timeout: float = 60.0,
    module: str = INSTALLED_MODULE,
    main: str = "worker_processes auto;",
    temp_dir: str | None = None,
) -> str:
    """The whole ``nginx.conf``. ``gateway`` and ``services`` are ``host:port``; ``main`` goes in the main context;
    ``read_timeout`` is the services' (GATEWAY_UPSTREAM_READ_TIMEOUT), ``gateway_read_timeout`` the gateway's own;
    ``temp_dir`` (tests, benchmarks) holds nginx's temporary files instead of the packaged defaults; ``module`` is the
    path of the pass module (:func:`ensure_module` builds it for tests and benchmarks)."""
    temps = (
        "".join(
            f"\n    {kind}_temp_path {temp_dir}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        if temp_dir
        else ""
    )
    upstreams = "\n".join(
        f"    upstream ansinh_{name} {{\n        server {address};\n        keepalive 64;\n    }}"
        for name, address in {"gateway": gateway, **services}.items()
    )
    locations = "\n".join(_service_location(name) for name in services)
    refusals = "\n".join(
        f"            if ($ansinh_status = {code}) {{ return {code} $ansinh_problem; }}" for code in _REFUSAL_CODES
    )
    tls_lines = (
        """
        ssl_certificate /etc/nginx/certs/tls.crt;
        ssl_certificate_key /etc/nginx/certs/tls.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_prefer_server_ciphers off;
        ssl_session_cache shared:tls:10m;
        add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;"""
        if tls
        else ""
    )
    redirect = (
        """
    server {
        listen 80;
        # Plain HTTP only redirects: a client that sent a secret over it has already leaked it, so nothing
        # is served here (rotate that client's secret).
        return 308 https://$host$request_uri;
    }
"""
        if tls
        else ""
    )
    return f"""# Generated by gateway/nginx.py (render); edit there, not here. The nginx data plane: nginx carries the
# traffic and TLS, the gateway decides (token, scopes, rate limit) through auth_request. See docs/operations.md.
load_module {module};  # the passes in shared memory: deploy/nginx/ansinh_pass
{main}
pcre_jit on;  # the request-id and path maps run on every request
events {{ worker_connections 4096; }}

http {{
    server_tokens off;
    access_log off;  # the gateway and the services log every request with its request id
    client_max_body_size {max_body_bytes};  # the gateway's GATEWAY_MAX_BODY_BYTES
{PASS_ZONE.rstrip()}{temps}

{upstreams}

{MAPS}{redirect}
    server {{
        listen {listen};{tls_lines}

        proxy_http_version 1.1;
        proxy_set_header Connection "";
{FORWARDING}        proxy_connect_timeout {connect_timeout:g}s;
        proxy_read_timeout {read_timeout:g}s;  # the services'

        # nginx refuses TRACE itself, before any location: the gateway words the refusal (401, 404 or 405).
        error_page 405 = @ansinh_405;

        # The gateway: its own routes (/auth, the event hub, reports, /metrics, /health, /openapi.json).
        location / {{
            proxy_pass http://ansinh_gateway;
            proxy_read_timeout {gateway_read_timeout:g}s;
        }}
        location = /auth/check {{
            return 404;  # only nginx asks it (below)
        }}

{CHECK_LOCATION}
        # A refusal: the gateway's status, problem document and headers, as the gateway's own proxy answers them.
        location @ansinh_refused {{
            default_type application/problem+json;
            add_header X-Request-ID $ansinh_rid always;
            add_header WWW-Authenticate $ansinh_www_authenticate always;
            add_header Retry-After $ansinh_retry_after always;
            add_header Allow $ansinh_allow always;
{refusals}
            return 403 $ansinh_problem;
        }}
        # nginx's own failures (body too large, service unreachable or silent, gateway down), worded by the gateway.
        location @ansinh_413 {{
            rewrite ^ /auth/check break;
            proxy_pass http://ansinh_gateway;
            proxy_method GET;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Ansinh-Error 413;
            proxy_set_header X-Ansinh-Service $ansinh_service;
        }}
        location @ansinh_502 {{
            rewrite ^ /auth/check break;
            proxy_pass http://ansinh_gateway;
            proxy_method GET;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Ansinh-Error 502;
            proxy_set_header X-Ansinh-Service $ansinh_service;
        }}
        location @ansinh_504 {{
            rewrite ^ /auth/check break;
            proxy_pass http://ansinh_gateway;
            proxy_method GET;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Ansinh-Error 504;
            proxy_set_header X-Ansinh-Service $ansinh_service;
        }}
        location @ansinh_405 {{
            rewrite ^ /auth/check break;
            proxy_pass http://ansinh_gateway;
            proxy_method GET;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Ansinh-Render 1;
        }}
        location @ansinh_gateway_down {{
            default_type application/problem+json;
            add_header X-Request-ID $ansinh_rid always;
            return 503 '{_GATEWAY_DOWN}';
        }}

{locations}
    }}
}}
"""


def _service_location(name: str) -> str:
    prefix = public_prefix(name)
    return f"""        location {prefix}/ {{
            set $ansinh_service {name};
            auth_request /_ansinh/check;
{REFUSAL_VARIABLES}            error_page 401 403 = @ansinh_refused;
            error_page 413 = @ansinh_413;
            error_page 502 = @ansinh_502;
            error_page 504 = @ansinh_504;
            error_page 500 = @ansinh_gateway_down;
            proxy_pass http://ansinh_{name}$ansinh_path$is_args$args;
        }}"""


def start(conf: str, workdir: str) -> subprocess.Popen[bytes]:
    """nginx in the foreground, one process (no master), with ``conf`` written in ``workdir``: for tests and
    benchmarks. ``conf`` should come from :func:`render` with ``main=foreground(workdir)`` and ``temp_dir``."""
    binary = _binary()
    path = Path(workdir) / "nginx.conf"
    path.write_text(conf)
    check = subprocess.run([binary, "-t", "-q", "-p", workdir, "-c", str(path)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx refused the configuration: {check.stderr.strip()}")
    return subprocess.Popen([binary, "-p", workdir, "-c", str(path)], stdin=subprocess.DEVNULL)


def foreground(workdir: str, workers: str = "1") -> str:
    """Main-context lines for :func:`start`: one process (no master) by default; with ``workers`` (e.g. ``"auto"``,
    as deployed) a master and that many worker processes."""
    processes = "master_process off;\nworker_processes 1;" if workers == "1" else f"worker_processes {workers};"
    if workers != "1" and os.geteuid() == 0:  # else the workers run as nobody, locked out of workdir
        processes += "\nuser root;"
    return f"daemon off;\n{processes}\npid {workdir}/nginx.pid;\nerror_log {workdir}/error.log warn;"


def module_buildable() -> bool:
    """Whether :func:`ensure_module` can build the pass module here (nginx and Debian's nginx-dev installed)."""
    return os.path.exists(_binary()) and os.path.exists(_NGINX_DEV)


def ensure_module(directory: str | Path) -> str:
    """The pass module for this machine's nginx, built under ``directory`` once per version of its sources and of
    nginx (~5 s) and reused after: its path, for :func:`render`'s ``module``. Tests and benchmarks; production
    images build it in deploy/nginx/Dockerfile. Raises ``RuntimeError`` naming what is missing."""
    if not module_buildable():
        raise RuntimeError("the nginx pass module needs nginx and nginx-dev: apt-get install nginx nginx-dev")
    digest = hashlib.sha256(subprocess.run([_binary(), "-v"], capture_output=True, text=True).stderr.encode())
    for source in [*sorted((_MODULE_SOURCES / "ansinh_pass").iterdir()), _MODULE_SOURCES / "build-module.sh"]:
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    target = Path(directory) / digest.hexdigest()[:16] / MODULE_FILE
    if not target.exists():
        build = subprocess.run(
            ["bash", str(_MODULE_SOURCES / "build-module.sh"), str(target.parent)], capture_output=True, text=True
        )
        if build.returncode != 0:
            raise RuntimeError(f"the nginx pass module did not build:\n{build.stderr.strip()}")
    return str(target)


def _binary() -> str:
    """nginx: on the PATH, else where Debian installs it (root's PATH may lack /usr/sbin)."""
    return shutil.which("nginx") or "/usr/sbin/nginx"
