"""``Idempotency-Key`` for POSTs that create records or move money (docs/architecture.md, HTTP conventions).

Routes use :meth:`Idempotency.respond`, which is the whole pattern (replay or claim, do the work, set the headers,
remember the response); ``begin``/``finish`` are its parts, for a service that stores less than the response
(child protection stores only the new record's id). ``tests/test_shared_patterns.py`` keeps routers on ``respond``.

Same key and same body → the first response is replayed (and nothing is done again); same key with a
different body → 422; the same key while the first request is still running → 409. The stored response
is written in the same transaction as the effect, so a request that failed or rolled back leaves no key
behind and may simply be retried. Keys are scoped to the client that sent them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, func, insert, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from .auth import Principal
from .errors import Conflict, ValidationFailed

Out = TypeVar("Out", bound=BaseModel)
Work = Callable[[], Awaitable[tuple[Out, Mapping[str, str]]]]
"""What an idempotent route does the first time: its answer, and the headers to send (and replay) with it."""

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("client_id", Text, primary_key=True),
        Column("key", Text, primary_key=True),
        Column("request_hash", Text, nullable=False),
        Column("status", Integer, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("body", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        comment="First responses to POSTs sent with an Idempotency-Key, replayed to retries",
    )


class InFlight(Conflict):
    """409: the first request with this key is still running."""

    code = "idempotency-in-flight"


@dataclass
class Claim:
    """A key this request holds (None when the client sent no key)."""

    client_id: str
    key: str
    request_hash: str


class Idempotency:
    def __init__(self, table: Table) -> None:
        self.table = table

    async def begin(self, session: AsyncSession, principal: Principal, request: Request) -> Claim | JSONResponse | None:
        """Call first in the handler: a response to replay, a claim to :meth:`finish`, or None (no key)."""
        key = request.headers.get(HEADER)
        if key is None:
            return None
        if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise ValidationFailed(
                [{"field": "header.idempotency-key", "reason": f"1-{MAX_KEY_LENGTH} printable characters"}]
            )
        digest = hashlib.sha256(
            request.method.encode() + b" " + request.url.path.encode() + b"\n" + await request.body()
        ).hexdigest()
        locked = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"), {"k": f"idempotency:{principal.client_id}:{key}"}
        )
        if not locked:
            raise InFlight("a request with this Idempotency-Key is still being processed; retry shortly")
        t = self.table
        stored = (
            await session.execute(
                select(t.c.request_hash, t.c.status, t.c.headers, t.c.body).where(
                    t.c.client_id == principal.client_id, t.c.key == key
                )
            )
        ).first()
        if stored is None:
            return Claim(principal.client_id, key, digest)
        if stored.request_hash != digest:
            raise ValidationFailed(
                [{"field": "header.idempotency-key", "reason": "already used for a different request; use a new key"}]
            )
        return JSONResponse(
            stored.body, status_code=stored.status, headers={**stored.headers, "Idempotent-Replayed": "true"}
        )

    async def finish(
        self, session: AsyncSession, claim: Claim | None, status: int, body: Any, headers: dict[str, str]
    ) -> None:
        """Remember the response, in the transaction of the effect."""
        if claim is None:
            return
        await session.execute(
            insert(self.table).values(
                client_id=claim.client_id,
                key=claim.key,
                request_hash=claim.request_hash,
                status=status,
                headers=headers,
                body=body,
            )
        )

    async def respond(
        self,
        session: AsyncSession,
        principal: Principal,
        request: Request,
        response: Response,
        work: Work[Out],
        *,
        status: int = 201,
        by_alias: bool = False,
    ) -> Out | JSONResponse:
        """The route's whole ``Idempotency-Key`` handling: the stored response for a retry (``work`` is not run),
        else ``work()``'s answer, with its headers set on ``response`` and remembered with it in the transaction of
        the effect. ``status`` is the route's success status; ``by_alias`` as the route's response model dumps."""
        claim = await self.begin(session, principal, request)
        if isinstance(claim, JSONResponse):
            return claim
        out, headers = await work()
        response.headers.update(headers)
        await self.finish(session, claim, status, out.model_dump(mode="json", by_alias=by_alias), dict(headers))
        return out
