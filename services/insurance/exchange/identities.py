"""Identity fields of the persons on a list, read in bulk from the registry through the gateway with insurance's own
client and a stated purpose; never stored. Only a keyed digest of the national ID is kept (the coverage check finds
a person by it)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import httpx
import orjson

from .exceptions import IdentitiesUnavailable

CHUNK = 1000
PARALLEL = 4
TIMEOUT = 60.0


class Identities(Protocol):
    async def fetch(self, ids: Sequence[uuid.UUID | str], purpose: str) -> dict[str, dict[str, Any]]:
        """The identity fields of ``ids`` found, keyed by the person id as text (``str(uuid)``: a dict keyed by
        ``uuid.UUID`` hashes in Python, a measurable share of a 136,000-row download)."""
        ...


def digest(key: str, national_id: str) -> str:
    return hmac.new(key.encode(), national_id.strip().encode(), hashlib.sha256).hexdigest()


def digester(key: str) -> Callable[[str], str]:
    """:func:`digest` with ``key`` set up once (a list digests 100,000+ national IDs)."""
    base = hmac.new(key.encode(), digestmod=hashlib.sha256)

    def one(national_id: str) -> str:
        h = base.copy()
        h.update(national_id.strip().encode())
        return h.hexdigest()

    return one


class RegistryIdentities:
    """``POST {registry_url}/persons/identities`` (scope ``registry:read``, header ``X-Purpose``), 1,000 ids a call,
    a few calls at a time. Token: client credentials at the gateway (``INSURANCE_REGISTRY_CLIENT_ID``/``_SECRET``),
    or a fixed ``bearer`` (tests)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        registry_url: str,
        *,
        gateway_url: str = "",
        client_id: str | None = None,
        client_secret: str | None = None,
        bearer: str | None = None,
    ) -> None:
        self.http = http
        self.registry_url = registry_url.rstrip("/")
        self.gateway_url = gateway_url.rstrip("/")
        self.client_id, self.client_secret = client_id, client_secret
        self._token: tuple[str, float] | None = (bearer, float("inf")) if bearer else None
        self._lock = asyncio.Lock()

    async def _bearer(self) -> str:
        async with self._lock:  # one token request at a time: parallel chunks share it
            if self._token and self._token[1] > time.time() + 30:
                return self._token[0]
            return await self._new_token()

    async def _new_token(self) -> str:
        if not self.client_id or not self.client_secret:
            raise IdentitiesUnavailable("INSURANCE_REGISTRY_CLIENT_ID/_SECRET are not configured")
        try:
            resp = await self.http.post(
                f"{self.gateway_url}/auth/token",
                data={"grant_type": "client_credentials"},
                auth=(self.client_id, self.client_secret),
                timeout=TIMEOUT,
            )
        except httpx.HTTPError as exc:
            raise IdentitiesUnavailable(f"the gateway's token endpoint: {type(exc).__name__}") from exc
        if resp.status_code != 200:
            raise IdentitiesUnavailable(f"the gateway refused insurance's client: {resp.status_code}")
        body = resp.json()
        self._token = (body["access_token"], time.time() + float(body["expires_in"]))
        return self._token[0]

    async def _chunk(self, ids: Sequence[uuid.UUID | str], purpose: str) -> list[dict[str, Any]]:
        headers = {
            "Authorization": f"Bearer {await self._bearer()}",
            "X-Purpose": purpose,
            "Content-Type": "application/json",
        }
        body = orjson.dumps({"ids": [str(i) for i in ids]})  # asyncpg UUIDs are not orjson UUIDs
        for attempt in (1, 2):  # one retry: a busy registry or gateway is not yet a failed list
            try:
                resp = await self.http.post(
                    f"{self.registry_url}/persons/identities",
                    headers=headers,
                    content=body,
                    timeout=TIMEOUT,
                )
                break
            except httpx.HTTPError as exc:
                if attempt == 2:
                    raise IdentitiesUnavailable(f"the registry: {type(exc).__name__}") from exc
        if resp.status_code != 200:
            raise IdentitiesUnavailable(f"the registry answered {resp.status_code}: {resp.text[:200]}")
        items: list[dict[str, Any]] = orjson.loads(resp.content)["items"]
        return items

    async def fetch(self, ids: Sequence[uuid.UUID | str], purpose: str) -> dict[str, dict[str, Any]]:
        gate = asyncio.Semaphore(PARALLEL)

        async def one(part: Sequence[uuid.UUID | str]) -> list[dict[str, Any]]:
            async with gate:
                return await self._chunk(part, purpose)

        parts = await asyncio.gather(*(one(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)))
        return {p["id"]: p for part in parts for p in part}
