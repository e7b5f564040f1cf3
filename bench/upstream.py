"""The trivial upstream of ``bench/gateway.py``: a bare ASGI app answering a small JSON document.

Run as ``uvicorn bench.upstream:app`` (one worker, httptools, uvloop). It answers in well under a millisecond, so what
is measured in front of it is the proxy's own cost. ``/openapi.json`` declares ``GET /me`` with the scope
``registry:read``, so the gateway checks a route scope as it does for a real service.
"""

from __future__ import annotations

import orjson

from common.asgi import Receive, Scope, Send

BODY = orjson.dumps({"client_id": "bench", "scopes": ["registry:read"], "areas": [], "ok": True})
OPENAPI = orjson.dumps(
    {
        "openapi": "3.1.0",
        "info": {"title": "bench upstream", "version": "1"},
        "paths": {
            "/me": {
                "get": {
                    "operationId": "me",
                    "security": [{"OAuth2": ["registry:read"]}],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/ready": {"get": {"operationId": "ready", "responses": {"200": {"description": "ok"}}}},
        },
    }
)
_JSON = [(b"content-type", b"application/json")]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = OPENAPI if scope["path"] == "/openapi.json" else BODY
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [*_JSON, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
