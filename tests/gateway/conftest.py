"""A real gateway on TCP in front of a real service app (built like the four services), both in-process.

Every test of the proxy, token and refusal modules (``BOTH_ARRANGEMENTS``) that talks to the gateway through the
``http`` fixture runs twice when nginx and nginx-dev are installed: against the gateway's own proxy (``python``) and
against the nginx data plane in front of the same gateway (``nginx``: ``gateway/nginx.py``'s configuration, nginx
deciding through the gateway's ``/auth/check``, its passes kept by the module built from
``deploy/nginx/ansinh_pass``), so both arrangements must give the same answers. ``ANSINH_REQUIRE_NGINX=1`` (CI) turns
a missing nginx or nginx-dev into a failure.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import StreamingResponse

from ansinh import local
from common.app import create_service_app
from common.auth import Principal, require, require_any
from common.settings import ServiceSettings
from common.testing import free_port, serve_in_background
from gateway import nginx
from gateway.app import create_app
from gateway.auth import service as auth_service
from gateway.ratelimit import MemoryLimiter
from gateway.settings import GatewaySettings

BIG_CHUNKS = 200  # × 64 KiB = 12.5 MiB


class Release:
    """Lets a test hold a streaming response half-way."""

    event: asyncio.Event | None = None


def upstream_router() -> APIRouter:
    router = APIRouter()

    @router.api_route("/echo/{rest:path}", methods=["GET", "POST", "PUT", "DELETE"], operation_id="echo")
    async def echo(rest: str, request: Request, who: Annotated[Principal, require()]) -> dict:
        """Echo what arrived."""
        return {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "headers": dict(request.headers),
            "body": (await request.body()).decode(),
            "client": who.client_id,
        }

    @router.get("/scoped/read", dependencies=[require("registry:read")])
    async def scoped_read() -> dict:
        """Needs registry:read."""
        return {"ok": True}

    @router.get("/scoped/either", dependencies=[require_any("registry:read", "payments:read")])
    async def scoped_either() -> dict:
        """Needs registry:read or payments:read."""
        return {"ok": True}

    @router.post("/scoped/write", dependencies=[require("registry:write")])
    async def scoped_write() -> dict:
        """Needs registry:write."""
        return {"ok": True}

    @router.get("/slow", dependencies=[require()])
    async def slow() -> dict:
        await asyncio.sleep(5.0)  # well past the door's read timeout, however slow the machine
        return {}

    @router.get("/big", dependencies=[require()])
    async def big() -> StreamingResponse:
        async def chunks():
            for i in range(BIG_CHUNKS):
                if i == 1 and Release.event is not None:
                    await Release.event.wait()
                yield bytes([65 + i % 26]) * 65536

        return StreamingResponse(chunks(), media_type="text/csv")

    @router.get("/hop", dependencies=[require()])
    async def hop() -> StreamingResponse:
        return StreamingResponse(iter([b"ok"]), headers={"keep-alive": "timeout=5", "x-custom": "kept"})

    return router


@dataclass
class Door:
    """The running pair, and helpers to act as a partner."""

    gateway: FastAPI
    url: str
    upstream_url: str
    upstream: FastAPI

    async def new_client(
        self, *scopes: str, areas: tuple[str, ...] = (), rate: int = 1000, burst: int = 1000
    ) -> tuple[str, str]:
        client_id = f"t-{uuid.uuid4().hex[:12]}"
        async with self.gateway.state.sessionmaker() as session, session.begin():
            issued = await auth_service.create_client(
                session, client_id, scopes=list(scopes), areas=list(areas), rate_per_second=rate, burst=burst
            )
        return client_id, issued.secret

    async def token(self, client_id: str, secret: str, scope: str | None = None) -> str:
        form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            r = await http.post("/auth/token", data=form, auth=(client_id, secret))
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    async def bearer(self, *scopes: str, **kw) -> dict[str, str]:
        client_id, secret = await self.new_client(*scopes, **kw)
        return {"Authorization": f"Bearer {await self.token(client_id, secret)}"}

    async def refresh_keys(self) -> None:
        """What the gateway and services do every few seconds, done now."""
        await self.gateway.state.key_refresher.refresh()
        await self.upstream.state.key_refresher.refresh()


@asynccontextmanager
async def running_door(test_db, **overrides) -> Door:
    gw_port, up_port = free_port(), free_port()
    gw_url = f"http://127.0.0.1:{gw_port}"
    upstream = create_service_app(
        "registry",
        ServiceSettings(database_url=test_db.urls["registry"], gateway_url=gw_url),
        title="AnSinh registry (test double)",
        description="Echo and scoped routes.",
        routers=[upstream_router()],
    )
    settings = GatewaySettings(
        database_url=test_db.urls["gateway"],
        registry_url=f"http://127.0.0.1:{up_port}",
        payments_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        insurance_url=f"http://127.0.0.1:{up_port}",
        # Short enough for the 504 tests, long enough that a loaded machine's pause is not taken for a silent service.
        upstream_read_timeout=2.0,
        max_body_bytes=100_000,
        **overrides,
    )
    gateway = create_app(settings)
    async with serve_in_background(upstream, up_port) as upstream_url, serve_in_background(gateway, gw_port):
        yield Door(gateway, gw_url, upstream_url, upstream)


@pytest.fixture(scope="package")
async def door(test_db):
    # Fast retries for the hub tests. This gateway starts first, so its dispatcher leads for the whole
    # package (doors started later by single tests only stand by).
    async with running_door(
        test_db, delivery_retry_base_seconds=0.05, delivery_max_attempts=3, delivery_poll_seconds=0.1
    ) as d:
        yield d


class ManualClock:
    """A clock the test moves: what the rate-limit buckets see does not depend on how fast this machine runs."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limiter_clock(door) -> Iterator[ManualClock]:
    """The package gateway's rate-limit buckets on a clock the test moves (the real one again afterwards).

    A test counting on a bucket not refilling between its requests would fail on a machine slow enough to let a
    token come back meanwhile; with this clock, time passes for the buckets only when the test says so.
    """
    limiter = door.gateway.proxy.limiter
    assert isinstance(limiter, MemoryLimiter)
    real = limiter.clock
    clock = ManualClock(real())
    limiter.clock = clock
    try:
        yield clock
    finally:
        limiter.clock = real


ARRANGEMENTS = ["python", *(["nginx"] if nginx.module_buildable() else [])]
collect_ignore = [] if "nginx" in ARRANGEMENTS else ["test_pass_module.py"]  # nginx alone: nothing to run it on
if os.environ.get("ANSINH_REQUIRE_NGINX") == "1" and "nginx" not in ARRANGEMENTS:
    raise RuntimeError(
        "ANSINH_REQUIRE_NGINX=1 but nginx or nginx-dev is not installed (apt-get install nginx nginx-dev: the data "
        "plane's pass module is built from nginx-dev)"
    )


def nginx_in_front(settings: GatewaySettings, gateway_url: str, workdir: str) -> tuple[subprocess.Popen[bytes], str]:
    """nginx (the deploy configuration's rendering) in front of a running gateway and its services."""
    port = free_port()
    conf = nginx.render(
        gateway=gateway_url.removeprefix("http://"),
        services={name: url.removeprefix("http://") for name, url in settings.upstreams().items()},
        listen=f"127.0.0.1:{port}",
        max_body_bytes=settings.max_body_bytes,
        read_timeout=settings.upstream_read_timeout,
        connect_timeout=settings.upstream_connect_timeout,
        module=nginx.ensure_module(local.VAR / "nginx-module"),
        main=nginx.foreground(workdir),
        temp_dir=workdir,
    )
    proc = nginx.start(conf, workdir)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            # Answered by nginx itself: the gateway runs in this process's event loop, which this call blocks.
            httpx.get(url + "/auth/check", timeout=1)
            return proc, url
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"nginx did not start; see {workdir}/error.log") from None
            time.sleep(0.05)


@pytest.fixture(scope="package")
def edge(door) -> Iterator[str]:
    """The nginx data plane in front of the package's gateway: its URL."""
    with tempfile.TemporaryDirectory(prefix="ansinh-nginx-") as workdir:
        proc, url = nginx_in_front(door.gateway.state.settings, door.url, workdir)
        try:
            yield url
        finally:
            proc.terminate()
            proc.wait(10)


BOTH_ARRANGEMENTS = {"test_proxy", "test_auth", "test_input_safety", "test_nginx"}
"""The modules whose requests nginx decides on through the gateway (service routes, refusals, tokens). The hub's
modules talk to the gateway's own routes, which nginx only passes on: they run against the gateway alone (they would
add minutes to the suite and test nothing more about the data plane)."""


def pytest_generate_tests(metafunc):
    if "arrangement" in metafunc.fixturenames:
        both = metafunc.module.__name__.rsplit(".", 1)[-1] in BOTH_ARRANGEMENTS
        metafunc.parametrize("arrangement", ARRANGEMENTS if both else ["python"])


@pytest.fixture
async def http(door, arrangement, request):
    base = door.url if arrangement == "python" else request.getfixturevalue("edge")
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        yield client
