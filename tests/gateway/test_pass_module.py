"""The nginx data plane's pass module (``deploy/nginx/ansinh_pass``) on its own: what it keeps, for whom, how long.

nginx is configured by ``gateway.nginx.render`` as deployed, in front of a stand-in for the gateway and the services
(another nginx) that logs every decision it is asked for and answers by the token: a pass kept for 60 s, a pass kept
for 1 s (``ttl1``), passes that must not be kept (``ttl0``: 0 s, ``ttlx``: not a number) and a refusal (``deny``).
The gateway tests (``test_nginx.py`` and the modules run in both arrangements) cover the same module behind the real
gateway. Collected only where nginx and nginx-dev are installed (conftest.py; CI requires them).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ansinh import local
from common.testing import free_port
from gateway import nginx

_STAND_IN = """{main}
events {{ worker_connections 256; }}
http {{
    access_log off;
    log_format check '$http_authorization $http_x_original_uri';
    map $http_authorization $ansinh_test_ttl {{
        "~ttl1" 1;
        "~ttl0" 0;
        "~ttlx" soon;
        default 60;
    }}
    server {{
        listen 127.0.0.1:{port};
        location = /auth/check {{
            access_log {workdir}/checks.log check;
            if ($http_authorization ~ deny) {{ return 403; }}
            add_header X-Accel-Expires $ansinh_test_ttl;
            return 200 '';
        }}
        location / {{ return 200 'served'; }}
    }}
}}
"""


@dataclass
class Edge:
    url: str
    workdir: Path

    def get(self, path: str, token: str) -> httpx.Response:
        return httpx.get(self.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=5)

    def checks(self) -> list[str]:
        """The decisions the stand-in gateway was asked for, oldest first: "Bearer <token> <original URI>"."""
        log = self.workdir / "up" / "checks.log"
        return log.read_text().splitlines() if log.exists() else []


def _edge(zone: str) -> Iterator[Edge]:
    with tempfile.TemporaryDirectory(prefix="ansinh-pass-") as tmp:
        workdir = Path(tmp)
        (workdir / "up").mkdir()
        up, port = free_port(), free_port()
        stand_in = _STAND_IN.format(main=nginx.foreground(f"{workdir}/up"), port=up, workdir=f"{workdir}/up")
        address = f"127.0.0.1:{up}"
        conf = nginx.render(
            gateway=address,
            services={"registry": address, "payments": address},
            listen=f"127.0.0.1:{port}",
            main=nginx.foreground(str(workdir)),
            temp_dir=str(workdir),
            module=nginx.ensure_module(local.VAR / "nginx-module"),
        ).replace("ansinh_pass_zone 10m ", f"ansinh_pass_zone {zone} ")
        upstream = nginx.start(stand_in, f"{workdir}/up")
        edge = nginx.start(conf, str(workdir))
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{up}/", timeout=1)
                    httpx.get(f"http://127.0.0.1:{port}/auth/check", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            yield Edge(f"http://127.0.0.1:{port}", workdir)
        finally:
            for proc in (edge, upstream):
                proc.terminate()
                proc.wait(10)


@pytest.fixture
def edge() -> Iterator[Edge]:
    yield from _edge("10m")


def test_a_pass_is_reused_only_for_its_own_token_method_and_route(edge):
    assert [edge.get("/registry/a", "alice").text for _ in range(3)] == ["served"] * 3
    assert edge.checks() == ["Bearer alice /registry/a"]  # asked once, then reused
    edge.get("/registry/b", "alice")  # another route
    edge.get("/registry/a", "bob")  # another token
    edge.get("/payments/a", "alice")  # the same path of another service
    assert httpx.post(edge.url + "/registry/a", headers={"Authorization": "Bearer alice"}).text == "served"
    edge.get("/registry/a?page=2", "alice")  # the query is not part of the route: reused
    assert edge.checks() == [
        "Bearer alice /registry/a",
        "Bearer alice /registry/b",
        "Bearer bob /registry/a",
        "Bearer alice /payments/a",
        "Bearer alice /registry/a",  # the POST
    ]


def test_a_request_without_a_token_is_always_asked(edge):
    for _ in range(2):
        assert httpx.get(edge.url + "/registry/a").text == "served"
    assert len(edge.checks()) == 2


def test_a_refusal_is_never_kept(edge):
    assert [edge.get("/registry/a", "deny-me").status_code for _ in range(3)] == [403] * 3
    assert len(edge.checks()) == 3


def test_a_pass_ends_when_its_seconds_are_up_and_one_without_valid_seconds_is_not_kept(edge):
    edge.get("/registry/a", "ttl1")
    edge.get("/registry/a", "ttl1")
    assert len(edge.checks()) == 1
    time.sleep(1.3)
    edge.get("/registry/a", "ttl1")
    assert len(edge.checks()) == 2
    for token in ("ttl0", "ttlx"):
        assert [edge.get("/registry/a", token).text for _ in range(2)] == ["served"] * 2
    assert len(edge.checks()) == 6


def test_a_full_table_drops_its_oldest_passes_and_keeps_answering():
    for edge in _edge("64k"):  # the smallest table nginx allows: a few hundred passes of these tokens
        tokens = [f"token-{i:04d}-" + "x" * 180 for i in range(800)]
        assert all(edge.get("/registry/a", token).text == "served" for token in tokens)
        assert len(edge.checks()) == len(tokens)
        edge.get("/registry/a", tokens[-1])  # the newest pass is still there
        assert len(edge.checks()) == len(tokens)
        edge.get("/registry/a", tokens[0])  # the oldest made room long ago: asked again
        assert len(edge.checks()) == len(tokens) + 1
        assert "no room" not in (edge.workdir / "error.log").read_text()


def test_a_pass_whose_key_would_pass_8_kb_is_never_kept_and_the_request_is_still_answered(edge):
    token = "t" * 8000  # near the longest header line nginx accepts (8 KB); the route makes the key longer
    long_path = "/registry/" + "a" * 300  # token, separator and route: over the module's 8,192 bytes
    assert [edge.get(long_path, token).text for _ in range(2)] == ["served"] * 2
    assert len(edge.checks()) == 2
    assert [edge.get("/registry/a", token).text for _ in range(2)] == ["served"] * 2  # under it: kept
    assert len(edge.checks()) == 3
