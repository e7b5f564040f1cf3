"""The gateway's proxy path against a real upstream over TCP."""

import asyncio

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from common.testing import app_client, free_port, serve_in_background
from gateway.app import create_app
from gateway.settings import GatewaySettings

BIG_CHUNKS = 200  # × 64 KiB = 12.5 MiB


def upstream_app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/echo/{rest:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def echo(rest: str, request: Request) -> dict:
        return {
            "method": request.method, "path": request.url.path, "query": request.url.query,
            "headers": dict(request.headers), "body": (await request.body()).decode(),
        }

    @app.get("/slow")
    async def slow() -> dict:
        await asyncio.sleep(1.5)
        return {}

    @app.get("/big")
    async def big() -> StreamingResponse:
        async def chunks():
            for i in range(BIG_CHUNKS):
                yield bytes([65 + i % 26]) * 65536

        return StreamingResponse(chunks(), media_type="text/csv")

    @app.get("/hop")
    async def hop() -> StreamingResponse:
        return StreamingResponse(iter([b"ok"]), headers={"keep-alive": "timeout=5", "x-custom": "kept"})

    return app


@pytest.fixture(scope="module")
async def upstream():
    async with serve_in_background(upstream_app(), free_port()) as url:
        yield url


@pytest.fixture
async def gateway(test_db, upstream):
    settings = GatewaySettings(
        database_url=test_db.urls["gateway"],
        registry_url=upstream,
        payments_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        insurance_url=upstream,
        upstream_read_timeout=0.5,
        max_body_bytes=1000,
    )
    async with app_client(create_app(settings), rollback=False) as client:
        yield client


async def test_routes_strip_prefix_and_keep_path_query_body(gateway):
    r = await gateway.post("/registry/echo/persons/7?q=Nguy%E1%BB%85n&x=1", content=b'{"a":1}',
                           headers={"content-type": "application/json"})
    assert r.status_code == 200
    seen = r.json()
    assert (seen["method"], seen["path"]) == ("POST", "/echo/persons/7")
    assert seen["query"] == "q=Nguy%E1%BB%85n&x=1"
    assert seen["body"] == '{"a":1}'


async def test_forwarding_headers_request_id_and_traceparent(gateway):
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    r = await gateway.get("/registry/echo/x", headers={
        "x-request-id": "rid-1", "traceparent": tp, "connection": "keep-alive", "x-forwarded-for": "1.2.3.4"})
    h = r.json()["headers"]
    assert h["x-request-id"] == "rid-1" and r.headers["x-request-id"] == "rid-1"
    assert h["traceparent"] == tp
    assert h["x-forwarded-for"].startswith("1.2.3.4, ")
    assert h["x-forwarded-proto"] == "http" and h["x-forwarded-host"] == "test"


async def test_request_id_generated_when_absent(gateway):
    r = await gateway.get("/registry/echo/x")
    rid = r.headers["x-request-id"]
    assert len(rid) == 36 and r.json()["headers"]["x-request-id"] == rid


async def test_hop_by_hop_response_headers_dropped(gateway):
    r = await gateway.get("/registry/hop")
    assert r.headers["x-custom"] == "kept" and "keep-alive" not in r.headers


async def test_large_response_passes_whole(gateway):
    r = await gateway.get("/registry/big")
    assert r.status_code == 200 and len(r.content) == BIG_CHUNKS * 65536
    assert r.content[:1] == b"A" and r.content[-1:] == bytes([65 + (BIG_CHUNKS - 1) % 26])


async def test_unreachable_service_is_502_problem(gateway):
    r = await gateway.get("/payments/health")
    assert r.status_code == 502
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/bad-gateway") and "payments" in r.json()["detail"]


async def test_silent_service_is_504_problem(gateway):
    r = await gateway.get("/insurance/slow")
    assert r.status_code == 504 and r.json()["type"].endswith("/gateway-timeout")


async def test_body_over_limit_is_413(gateway):
    r = await gateway.post("/registry/echo/x", content=b"x" * 5000)
    assert r.status_code == 413 and r.json()["type"].endswith("/payload-too-large")


async def test_streamed_body_over_limit_is_413(gateway):
    async def chunked():
        for _ in range(10):
            yield b"y" * 300

    r = await gateway.post("/registry/echo/x", content=chunked())
    assert r.status_code == 413


async def test_streamed_body_under_limit_arrives_whole(gateway):
    async def chunked():
        for i in range(3):
            yield str(i).encode() * 100

    r = await gateway.put("/registry/echo/x", content=chunked())
    assert r.json()["body"] == "0" * 100 + "1" * 100 + "2" * 100


async def test_gateway_own_routes_and_unknown_paths(gateway):
    assert (await gateway.get("/health")).json()["service"] == "gateway"
    assert (await gateway.get("/ready")).status_code == 200
    r = await gateway.get("/registryx/health")  # not a service prefix
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert "gateway_upstream_responses_total" in (await gateway.get("/metrics")).text
