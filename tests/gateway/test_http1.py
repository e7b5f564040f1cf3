"""The proxy's HTTP/1.1 client (gateway/http1.py) against a raw upstream that answers exactly as scripted: chunked and
unframed answers, ``Connection: close``, interim 100 answers, HEAD, silence, keep-alive reuse, and large bodies
streamed both ways without being held whole."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import orjson
import pytest

from common.testing import free_port, serve_in_background
from gateway import http1
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.gateway.conftest import Door

BIG = 20 * 1024 * 1024
PIECE = 64 * 1024


def _piece(i: int) -> bytes:
    return bytes([65 + i % 26]) * PIECE


BIG_SHA = hashlib.sha256(b"".join(_piece(i) for i in range(BIG // PIECE))).hexdigest()


@dataclass
class ScriptedUpstream:
    """Each path answers in its own way; ``served`` records (connection number, method, path) of every request."""

    served: list[tuple[int, str, str]] = field(default_factory=list)
    body_started: asyncio.Event = field(default_factory=asyncio.Event)
    release_download: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = next(self._ids)
        try:
            while await self._one(conn, reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _one(self, conn: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        line, *lines = head.decode("latin-1").split("\r\n")
        method, path, _ = line.split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in lines if h)}
        self.served.append((conn, method, path))
        digest, size = hashlib.sha256(), 0
        if headers.get("transfer-encoding") == "chunked":
            while (n := int((await reader.readuntil(b"\r\n")).strip(), 16)) > 0:
                data = await reader.readexactly(n)
                self.body_started.set()
                digest.update(data)
                size += n
                await reader.readexactly(2)
            await reader.readexactly(2)
        else:
            left = int(headers.get("content-length", "0"))
            while left:
                data = await reader.read(min(left, PIECE))
                if not data:
                    return False
                self.body_started.set()
                digest.update(data)
                size += len(data)
                left -= len(data)
        w = writer.write
        if path == "/openapi.json":
            w(_answer(b'{"openapi": "3.1.0", "paths": {}}'))
        elif path == "/chunked":
            w(b"HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ntransfer-encoding: chunked\r\n\r\n")
            for i in range(BIG // PIECE):
                if i == 1:
                    await self.release_download.wait()
                w(b"%x\r\n%b\r\n" % (PIECE, _piece(i)))
                await writer.drain()
            w(b"0\r\n\r\n")
        elif path == "/close":
            w(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\nclosed")
            await writer.drain()
            return False
        elif path == "/unframed":  # no length, no chunks: the body ends with the connection
            w(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end")
            await writer.drain()
            return False
        elif path == "/hang-up":  # a keep-alive answer, then the service closes the idle connection
            w(_answer(b'{"bye": true}'))
            await writer.drain()
            return False
        elif path == "/garbage":
            w(b"NOT HTTP AT ALL\r\n\r\n")
        elif path == "/continue":
            w(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()
            w(_answer(b'{"after": "continue"}'))
        elif path == "/silent":
            await asyncio.Event().wait()  # read, and never a word (cancelled when the server closes)
        elif path == "/upload":
            w(_answer(orjson.dumps({"size": size, "sha256": digest.hexdigest()})))
        elif method == "HEAD":  # the headers a GET would have, the length included, and no body
            w(
                _answer(orjson.dumps({"method": "GET", "path": path, "connection": conn})).split(b"\r\n\r\n")[0]
                + b"\r\n\r\n"
            )
        else:
            w(_answer(orjson.dumps({"method": method, "path": path, "connection": conn})))
        await writer.drain()
        return True


def _answer(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%b" % (len(body), body)


@pytest.fixture
async def scripted(test_db) -> AsyncIterator[tuple[Door, ScriptedUpstream, dict[str, str]]]:
    upstream = ScriptedUpstream()
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    settings = GatewaySettings(
        database_url=test_db.urls["gateway"],
        registry_url=url,
        payments_url=url,
        insurance_url=url,
        child_protection_url=url,
        upstream_read_timeout=1.0,
    )
    gateway = create_app(settings)
    gw_port = free_port()
    try:
        async with serve_in_background(gateway, gw_port):
            door = Door(gateway, f"http://127.0.0.1:{gw_port}", url, None)  # type: ignore[arg-type]
            yield door, upstream, await door.bearer("admin")
    finally:
        server.close()


async def test_keep_alive_connections_are_reused(scripted):
    door, upstream, auth = scripted
    async with httpx.AsyncClient(base_url=door.url, timeout=10) as http:
        for i in range(5):
            r = await http.get(f"/registry/things/{i}", headers=auth)
            assert r.status_code == 200 and r.json()["path"] == f"/things/{i}"
    connections = {conn for conn, _, path in upstream.served if path.startswith("/things/")}
    assert len(connections) == 1


async def test_an_answer_with_connection_close_is_whole_and_the_next_request_gets_a_new_connection(scripted):
    door, upstream, auth = scripted
    async with httpx.AsyncClient(base_url=door.url, timeout=10) as http:
        r = await http.get("/registry/close", headers=auth)
        assert (r.status_code, r.text) == (200, "closed")
        assert "connection" not in r.headers or r.headers["connection"] != "close"  # hop-by-hop: not passed on
        after = await http.get("/registry/after", headers=auth)
        assert after.status_code == 200
    closed_on = next(conn for conn, _, path in upstream.served if path == "/close")
    assert after.json()["connection"] != closed_on


async def test_an_answer_ended_by_the_connection_closing_arrives_whole(scripted):
    door, _, auth = scripted
    async with httpx.AsyncClient(base_url=door.url, timeout=10) as http:
        r = await http.get("/registry/unframed", headers=auth)
        assert (r.status_code, r.text) == (200, "until the end")
        assert (await http.get("/registry/next", headers=auth)).status_code == 200


async def test_an_interim_100_answer_is_skipped(scripted):
    door, _, auth = scripted
    async with httpx.AsyncClient(base_url=door.url, timeout=10) as http:
        r = await http.get("/registry/continue", headers=auth)
        assert r.status_code == 200 and r.json() == {"after": "continue"}


async def test_head_has_the_headers_and_no_body_and_the_next_request_is_unaffected(scripted):
    door, _, auth = scripted
    async with httpx.AsyncClient(base_url=door.url, timeout=10) as http:
        r = await http.head("/registry/sized", headers=auth)
        assert r.status_code == 200 and r.content == b"" and int(r.headers["content-length"]) > 0
        r = await http.get("/registry/sized", headers=auth)
        assert r.status_code == 200 and r.json()["method"] == "GET"


async def test_a_silent_service_is_504_and_the_gateway_keeps_serving(scripted):
    door, _, auth = scripted
    async with httpx.AsyncClient(base_url=door.url, timeout=10) as http:
        r = await http.get("/registry/silent", headers=auth)
        assert r.status_code == 504 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/gateway-timeout")
        assert (await http.get("/registry/after", headers=auth)).status_code == 200


async def test_a_large_chunked_download_is_streamed_whole(scripted):
    door, upstream, auth = scripted
    digest, size = hashlib.sha256(), 0
    async with (
        httpx.AsyncClient(base_url=door.url, timeout=30) as http,
        http.stream("GET", "/registry/chunked", headers=auth) as r,
    ):
        assert r.status_code == 200 and r.headers["content-type"] == "text/csv"
        chunks = r.aiter_raw()
        first = await chunks.__anext__()
        # The service holds the rest back until now: the gateway passed the first part on without waiting for it.
        upstream.release_download.set()
        digest.update(first)
        size += len(first)
        async for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
    assert (size, digest.hexdigest()) == (BIG, BIG_SHA)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_a_large_upload_is_streamed_to_the_service_whole(scripted, framing):
    door, upstream, auth = scripted

    async def body() -> AsyncIterator[bytes]:
        for i in range(BIG // PIECE):
            if i == 16:
                # The service has part of the body while the client still holds most of it: the gateway streams
                # the upload instead of reading it whole first (which would wait here until the timeout).
                await asyncio.wait_for(upstream.body_started.wait(), 30)
            yield _piece(i)

    headers = {**auth, "content-type": "text/csv"}
    if framing == "content-length":
        headers["content-length"] = str(BIG)
    async with httpx.AsyncClient(base_url=door.url, timeout=60) as http:
        r = await http.post("/registry/upload", content=body(), headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"size": BIG, "sha256": BIG_SHA}


async def test_a_small_chunked_upload_arrives_whole(scripted):
    door, upstream, auth = scripted

    async def body() -> AsyncIterator[bytes]:
        yield b"one piece"

    async with httpx.AsyncClient(base_url=door.url, timeout=10) as http:
        r = await http.put("/registry/upload", content=body(), headers=auth)
    assert r.json() == {"size": 9, "sha256": hashlib.sha256(b"one piece").hexdigest()}


async def test_a_slow_upload_the_service_keeps_reading_is_not_a_timeout(scripted):
    # The read timeout is 1 s here; the client pauses longer than that between pieces. Only silence while the
    # gateway waits on the service counts, not the time the client takes to send its body.
    door, _, auth = scripted

    async def body() -> AsyncIterator[bytes]:
        for piece in (b"slow ", b"but ", b"steady"):
            yield piece
            await asyncio.sleep(1.3)

    async with httpx.AsyncClient(base_url=door.url, timeout=30) as http:
        r = await http.post("/registry/upload", content=body(), headers=auth)
    assert r.status_code == 200, r.text
    assert r.json() == {"size": 15, "sha256": hashlib.sha256(b"slow but steady").hexdigest()}


@pytest.fixture
async def raw_pool() -> AsyncIterator[tuple[http1.Pool, ScriptedUpstream]]:
    upstream = ScriptedUpstream()
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    pool = http1.Pool(url, limit=1, keepalive=4.0, connect_timeout=2.0, read_timeout=5.0)
    try:
        yield pool, upstream
    finally:
        pool.close()
        server.close()


async def _get(pool: http1.Pool, path: str) -> tuple[int, bytes, http1.Connection]:
    conn = await pool.acquire()
    try:
        conn.begin()
        await conn.write(b"GET %b HTTP/1.1\r\nhost: test\r\n\r\n" % path.encode())
        await conn.read_head()
        return conn.status, await conn.read_all(), conn
    finally:
        pool.release(conn, reuse=True)


async def test_at_its_limit_the_pool_makes_requests_wait_for_a_connection(raw_pool):
    pool, upstream = raw_pool
    answers = await asyncio.gather(*(_get(pool, f"/n/{i}") for i in range(5)))
    assert [status for status, _, _ in answers] == [200] * 5
    assert [orjson.loads(body)["path"] for _, body, _ in answers] == [f"/n/{i}" for i in range(5)]
    assert len({conn for conn, _, _ in upstream.served}) == 1  # limit 1: one connection, five requests in turn
    assert pool.stats() == {"idle": 1, "in_use": 0, "waiting": 0}


async def test_a_connection_the_service_closed_while_idle_is_not_handed_out(raw_pool):
    pool, upstream = raw_pool
    status, _, first = await _get(pool, "/hang-up")
    assert status == 200
    async with asyncio.timeout(10):
        while not first.closed:  # noqa: ASYNC110 - the protocol has no event to wait on; bounded by the timeout
            await asyncio.sleep(0.01)
    status, body, second = await _get(pool, "/next")
    assert status == 200 and second is not first
    assert orjson.loads(body)["connection"] != upstream.served[0][0]


async def test_an_answer_that_is_not_http_is_an_error_not_a_hang(raw_pool):
    pool, _ = raw_pool
    with pytest.raises(http1.BadResponse):
        await _get(pool, "/garbage")
    status, _, _ = await _get(pool, "/after")  # the broken connection was not kept
    assert status == 200


def test_the_client_works_on_uvloop_the_loop_the_gateway_runs_on():
    # The tests above run on asyncio's own loop; `ansinh serve` runs uvloop, whose transports differ (they are not
    # asyncio.Transport instances, for one).
    import uvloop

    async def scenario() -> None:
        upstream = ScriptedUpstream()
        server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        pool = http1.Pool(url, limit=2, keepalive=4.0, connect_timeout=2.0, read_timeout=5.0)
        try:
            answers = [await _get(pool, f"/n/{i}") for i in range(3)]
            assert [status for status, _, _ in answers] == [200] * 3
            assert len({id(conn) for _, _, conn in answers}) == 1  # reused
            status, _, first = await _get(pool, "/hang-up")
            async with asyncio.timeout(10):
                while not first.closed:  # noqa: ASYNC110 - the protocol has no event to wait on; bounded
                    await asyncio.sleep(0.01)
            assert (await _get(pool, "/after"))[0] == 200
            with pytest.raises(http1.BadResponse):
                await _get(pool, "/garbage")
        finally:
            pool.close()
            server.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())
