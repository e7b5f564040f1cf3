"""The seed's HTTP side: one gateway, a token per role, retries that never do anything twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
RETRIED = {429, 502, 503, 504}


class SeedError(RuntimeError):
    """A call the seed cannot go on without (the answer is in the message)."""


class Api:
    """Calls to the gateway as one of the seed's clients (``credentials``: role → (client id, secret)).

    A call that fails on the way (connection lost, 429, 502-504, or 409 ``idempotency-in-flight`` when the first
    attempt is still being worked on) is sent again as it was, with the same ``Idempotency-Key``: the service replays
    its first answer instead of doing the work twice. Writes without such a
    key are only those whose repetition the service refuses (409) or that the seed looks up before it writes.
    """

    def __init__(self, base_url: str, credentials: dict[str, tuple[str, str]], *, timeout: float = 120) -> None:
        self.base = base_url.rstrip("/")
        self.credentials = credentials
        self.http = httpx.AsyncClient(
            base_url=self.base, timeout=timeout, limits=httpx.Limits(max_connections=32, max_keepalive_connections=32)
        )
        self.tokens: dict[str, tuple[str, float]] = {}
        self.calls = 0

    async def close(self) -> None:
        await self.http.aclose()

    async def _token(self, role: str, fresh: bool = False) -> str:
        held = self.tokens.get(role)
        if held and not fresh and held[1] > time.monotonic() + 30:
            return held[0]
        client_id, secret = self.credentials[role]
        r = await self.http.post("/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
        if r.status_code != 200:
            raise SeedError(f"token refused to {client_id} ({r.status_code}): {r.text[:300]}")
        body = r.json()
        self.tokens[role] = (body["access_token"], time.monotonic() + float(body.get("expires_in", 300)))
        return str(body["access_token"])

    async def call(
        self,
        role: str,
        method: str,
        path: str,
        *,
        ok: Iterable[int] = (200, 201),
        key: str | None = None,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> httpx.Response:
        extra = dict(headers or {})
        if key:
            extra["Idempotency-Key"] = key
        refreshed = False
        for attempt in range(8):
            token = await self._token(role)
            try:
                self.calls += 1
                r = await self.http.request(method, path, headers={"Authorization": f"Bearer {token}", **extra}, **kw)
            except httpx.TransportError:
                if attempt == 7:
                    raise
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            if r.status_code == 401 and not refreshed:
                await self._token(role, fresh=True)
                refreshed = True
                continue
            in_flight = (
                r.status_code == 409
                and r.headers.get("content-type", "").startswith("application/problem")
                and str(r.json().get("type", "")).endswith("/idempotency-in-flight")
            )
            if (r.status_code in RETRIED or in_flight) and attempt < 7:
                await asyncio.sleep(float(r.headers.get("Retry-After", 2.0 * (attempt + 1))))
                continue
            if r.status_code not in ok:
                raise SeedError(f"{method} {path} → {r.status_code}: {r.text[:600]}")
            return r
        raise SeedError(f"{method} {path}: no answer after retries")

    async def pages(
        self, role: str, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a cursor-paged list."""
        out: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = {**(params or {}), **({"cursor": cursor} if cursor else {})}
            body = (await self.call(role, "GET", path, params=query, headers=headers)).json()
            out.extend(body["items"])
            cursor = body.get("next_cursor")
            if not cursor or not body["items"]:
                return out


async def each(
    items: list[T], work: Callable[[T], Awaitable[Any]], *, limit: int = 8, advance: Callable[[int], None] | None = None
) -> list[Any]:
    """``work`` on every item, ``limit`` at a time; the results in the order of ``items``."""
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> Any:
        async with gate:
            result = await work(item)
        if advance:
            advance(1)
        return result

    tasks = [asyncio.ensure_future(one(i)) for i in items]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        # One failed (or the run was interrupted): stop the others before the error goes up, so that nothing
        # is still being sent when the caller records where it stopped.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
