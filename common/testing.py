"""Test helpers shared by every part's tests: real PostgreSQL, per-test rollback, in-process clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker


@asynccontextmanager
async def app_client(
    app: FastAPI,
    *,
    rollback: bool = True,
    raise_app_exceptions: bool = True,
    keys: TokenMinter | None = None,
    **client_kw: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``app``'s lifespan and yield an httpx client talking to it in-process.

    ``keys`` makes the app trust tokens from that :class:`TokenMinter` instead of fetching the gateway's.
    With ``rollback`` every request of the test shares one outer transaction that is rolled back at
    the end (the app's own commits become savepoints), so tests never see each other's data.
    """
    if keys is not None:
        app.state.key_loader = keys.loader
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        if not rollback:
            async with httpx.AsyncClient(transport=transport, base_url="http://test", **client_kw) as client:
                yield client
            return
        async with app.state.engine.connect() as conn:
            outer = await conn.begin()
            app.state.sessionmaker = async_sessionmaker(
                bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
            try:
                async with httpx.AsyncClient(transport=transport, base_url="http://test", **client_kw) as client:
                    yield client
            finally:
                await outer.rollback()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serve_in_background(app: Any, port: int, **config: Any) -> AsyncIterator[str]:
    """Serve an ASGI app over real TCP on 127.0.0.1:``port`` inside the running event loop (``config``: more
    ``uvicorn.Config`` options, e.g. ``ssl_certfile``/``ssl_keyfile`` to serve https)."""
    import asyncio

    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            lifespan="on",
            proxy_headers=False,
            access_log=False,
            **config,
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises the start-up error
        await asyncio.sleep(0.01)
    try:
        yield f"{'https' if config.get('ssl_certfile') else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class TokenMinter:
    """Signs gateway-shaped tokens with a throw-away key, for in-process tests of a service."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from .auth import public_jwk

        self.kid = "test-key"
        self.private = Ed25519PrivateKey.generate()
        self.jwks = {"keys": [public_jwk(self.private.public_key(), self.kid)]}
        self.not_before: dict[str, float] = {}

    async def loader(self) -> tuple[dict[str, Any], dict[str, float]]:
        return self.jwks, dict(self.not_before)

    def token(
        self,
        *scopes: str,
        client_id: str = "test-client",
        areas: tuple[str, ...] = (),
        ttl: int = 300,
        **overrides: Any,
    ) -> str:
        import time
        import uuid

        import jwt

        from .auth import ALGORITHM, AUDIENCE, ISSUER

        now = time.time()
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "client_id": client_id,
            "sub": client_id,
            "rid": self.revocation_id(client_id),
            "scope": " ".join(scopes),
            "areas": list(areas),
            "iat": now,
            "exp": int(now) + ttl,
            "jti": uuid.uuid4().hex,
            **overrides,
        }
        return jwt.encode(claims, self.private, algorithm=ALGORITHM, headers={"kid": self.kid})

    @staticmethod
    def revocation_id(client_id: str) -> str:
        """The ``rid`` of ``client_id``'s tokens (the gateway uses the client's UUID; here one derived from its id)."""
        import uuid

        return uuid.uuid5(uuid.NAMESPACE_URL, f"ansinh-test-client:{client_id}").hex

    def revoke(self, client_id: str, at: float) -> None:
        """Tokens of ``client_id`` issued at or before ``at`` are void, once the app's keys are refreshed."""
        self.not_before[self.revocation_id(client_id)] = at

    def headers(self, *scopes: str, **kw: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*scopes, **kw)}"}
