"""The gateway's own per-request work without sockets: a proxied ``GET /registry/me`` driven through the gateway's ASGI
app in process, the upstream call replaced by a fixed small answer. What remains is everything the gateway adds to a
bare proxy — the app and middleware layers, request id, token (cached), route scope, rate limit — in CPU µs per
request (``time.process_time``), insensitive to other processes' load in a way a wrk run is not.

``python -m bench.gateway_micro`` in this tree; with ``PYTHONPATH=<dir> python -m bench.gateway_micro`` run from
``<dir>`` (an earlier commit's tree), the same for that commit.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson

N = 20_000
OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/me": {
            "get": {
                "operationId": "me",
                "security": [{"OAuth2": ["registry:read"]}],
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}
BODY = orjson.dumps({"client_id": "bench", "ok": True})


async def main() -> float:
    from common.auth import Principal, _Cached
    from gateway import proxy as proxy_module
    from gateway.app import create_app
    from gateway.routes import RouteTable
    from gateway.settings import GatewaySettings

    async def forward(self: Any, scope: Any, receive: Any, send: Any, service: str, path: str) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
        if "request_id" in scope:
            headers.append((b"x-request-id", scope["request_id"].encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": BODY})

    proxy_module.ProxyMiddleware.forward = forward  # type: ignore[method-assign]
    app = create_app(GatewaySettings(database_url="postgresql://nobody@127.0.0.1:1/none"))
    verifier = app.state.verifier
    principal = Principal(
        client_id="bench",
        scopes=frozenset({"registry:read"}),
        areas=(),
        issued_at=time.time(),
        expires_at=int(time.time()) + 3600,
        revocation_id="r",
        rate_limit=(1e9, 10**9),
    )
    verifier._cache["tok"] = _Cached(principal, "k")
    app.state.upstreams.tables["registry"] = RouteTable.from_openapi(OPENAPI)
    app.state.upstreams.sessions["registry"] = object()  # forward is replaced; the proxy only checks it is there

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    sent: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent.append(message["status"])

    def scope() -> dict[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/registry/me",
            "raw_path": b"/registry/me",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"127.0.0.1:8000"),
                (b"authorization", b"Bearer tok"),
                (b"user-agent", b"wrk"),
                (b"accept", b"*/*"),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }

    for _ in range(2000):  # warm up (the middleware stack is built on the first call)
        await app(scope(), receive, send)
    assert set(sent) == {200}, set(sent)
    started = time.process_time()
    for _ in range(N):
        await app(scope(), receive, send)
    return (time.process_time() - started) / N * 1e6


if __name__ == "__main__":
    print(f"{asyncio.run(main()):.1f} µs per proxied request (gateway's own work, upstream call excluded)")
