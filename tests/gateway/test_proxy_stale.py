"""A request never fails because of a stale pooled connection to a service, and a POST is never sent twice.

The upstream here is a raw HTTP/1.1 server, so that it can misbehave exactly as a crashing service does:
answer 500 and close the connection without saying ``Connection: close`` (the gateway keeps it pooled), or
read a request and vanish without answering.
"""

from __future__ import annotations

import select
import socketserver
import threading
import uuid
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from common.testing import free_port, serve_in_background
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.gateway.conftest import Door


class RawUpstream(socketserver.ThreadingTCPServer):
    """``GET /crash``: 500, then the socket is closed. ``POST /vanish``: read, then closed with no answer.
    Anything else: 200 echo, keep-alive. Records every request it read. Runs in threads of its own, apart from
    the gateway's event loop, as a service process would."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int) -> None:
        self.seen: list[tuple[str, str, bytes]] = []
        super().__init__(("127.0.0.1", port), _Handler)

    def posts(self, path: str) -> list[bytes]:
        return [body for method, p, body in self.seen if method == "POST" and p == path]


class _Handler(socketserver.StreamRequestHandler):
    server: RawUpstream

    def handle(self) -> None:
        while True:
            line = self.rfile.readline()
            if not line:
                return
            method, path, _ = line.decode("latin-1").split(" ", 2)
            headers = {}
            while (h := self.rfile.readline()) not in (b"\r\n", b""):
                k, v = h.decode("latin-1").split(":", 1)
                headers[k.strip().lower()] = v.strip()
            body = self.rfile.read(int(headers.get("content-length", "0")))
            self.server.seen.append((method, path, body))
            if path == "/crash":
                self.answer(b"500 Internal Server Error", b"boom!", content_type=b"text/plain")
                # Then it closes the connection, having said nothing about it, a moment later: uvicorn does so
                # after logging the traceback of the exception the app re-raised after its 500 problem.
                self.close_when_the_next_request_arrives()
                return
            if path == "/then-close":  # a keep-alive answer, then the connection is closed under the next request
                self.answer(b"200 OK", b'{"ok": true}')
                self.close_when_the_next_request_arrives()
                return
            if path == "/vanish":
                return  # read, maybe acted upon, and gone without a word
            self.answer(
                b"200 OK",
                b'{"openapi": "3.1.0", "paths": {}}'
                if path == "/openapi.json"
                else orjson.dumps({"method": method, "path": path, "body": body.decode()}),
            )

    def answer(self, status: bytes, payload: bytes, content_type: bytes = b"application/json") -> None:
        self.wfile.write(
            b"HTTP/1.1 "
            + status
            + b"\r\nContent-Type: "
            + content_type
            + b"\r\nContent-Length: "
            + str(len(payload)).encode()
            + b"\r\n\r\n"
            + payload
        )
        self.wfile.flush()

    def close_when_the_next_request_arrives(self) -> None:
        """Close without reading: if the gateway sent a request on this connection, it is never read (the kernel
        resets the connection); if it closed its end instead, so much the better."""
        select.select([self.connection], [], [], 2.0)
        self.connection.close()


@pytest.fixture
async def flaky(test_db) -> AsyncIterator[tuple[Door, RawUpstream]]:
    up_port, gw_port = free_port(), free_port()
    upstream = RawUpstream(up_port)
    thread = threading.Thread(target=upstream.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{up_port}"
    settings = GatewaySettings(
        database_url=test_db.urls["gateway"],
        registry_url=url,
        payments_url=url,
        insurance_url=url,
        child_protection_url=url,
        breaker_threshold=3,
    )
    gateway = create_app(settings)
    try:
        async with serve_in_background(gateway, gw_port):
            yield Door(gateway, f"http://127.0.0.1:{gw_port}", url, None), upstream  # type: ignore[arg-type]
    finally:
        upstream.shutdown()
        upstream.server_close()
        thread.join(5)


async def test_a_closed_pooled_connection_never_fails_the_next_clients_post(flaky):
    door, upstream = flaky
    auth = await door.bearer("admin")
    failures = []
    async with (
        httpx.AsyncClient(base_url=door.url, timeout=10) as one,
        httpx.AsyncClient(base_url=door.url, timeout=10) as other,
    ):
        for i in range(20):
            crashed = await one.get("/registry/crash", headers=auth)
            assert crashed.status_code == 500 and crashed.text == "boom!"
            body = orjson.dumps({"n": i, "id": uuid.uuid4().hex})
            r = await other.post("/registry/things", content=body, headers={**auth, "content-type": "application/json"})
            if r.status_code != 200:
                failures.append((i, r.status_code, r.text))
            else:
                assert r.json() == {"method": "POST", "path": "/things", "body": body.decode()}
    assert failures == []
    assert len(upstream.posts("/things")) == 20  # each POST reached the service once
    assert len(set(upstream.posts("/things"))) == 20
    breaker = door.gateway.state.upstreams.breakers["registry"]
    assert breaker.state == "closed" and breaker.failures == 0


async def test_a_post_the_service_read_is_not_sent_again(flaky):
    door, upstream = flaky
    auth = await door.bearer("admin")
    async with httpx.AsyncClient(base_url=door.url, timeout=10) as http:
        assert (await http.get("/registry/warm", headers=auth)).status_code == 200  # a pooled connection now
        r = await http.post("/registry/vanish", content=b'{"pay": 1}', headers=auth)
        assert r.status_code == 502 and r.json()["type"].endswith("/bad-gateway")
        assert upstream.posts("/vanish") == [b'{"pay": 1}']  # once: it may have been applied
        fresh = await http.post("/registry/vanish", content=b'{"pay": 2}', headers=auth)  # on a new connection
        assert fresh.status_code == 502
        assert upstream.posts("/vanish") == [b'{"pay": 1}', b'{"pay": 2}']


async def test_a_post_on_a_connection_closed_under_it_is_sent_again_once_on_a_new_one(flaky):
    door, upstream = flaky
    auth = await door.bearer("admin")
    async with (
        httpx.AsyncClient(base_url=door.url, timeout=10) as one,
        httpx.AsyncClient(base_url=door.url, timeout=10) as other,
    ):
        for i in range(5):
            assert (await one.get("/registry/then-close", headers=auth)).status_code == 200
            body = orjson.dumps({"n": i, "id": uuid.uuid4().hex})
            r = await other.post("/registry/things", content=body, headers=auth)  # on the pooled connection
            assert r.status_code == 200, r.text
            assert r.json()["body"] == body.decode()
        metrics = (await one.get("/metrics", headers=auth)).text
    bodies = upstream.posts("/things")
    assert len(bodies) == 5 == len(set(bodies))  # each reached the service's application once
    assert 'gateway_upstream_retries_total{service="registry"} 5.0' in metrics  # each sent again, once
    assert door.gateway.state.upstreams.breakers["registry"].failures == 0  # and not held against the service
