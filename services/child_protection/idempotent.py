"""``Idempotency-Key`` for records whose contents are secret.

The shared helper (``common.idempotency``) stores the first response to replay it. Here that response holds
narratives, and the store is a plain table: so only the new record's id is stored, and a replay answers with the
record as it is now (read again, and audited like any read), with ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from common.concurrency import etag
from common.idempotency import Claim

from .access import Reader
from .models import IDEMPOTENCY

Out = TypeVar("Out", bound=BaseModel)


async def _begin(
    session: AsyncSession, reader: Reader, request: Request, load: Callable[[uuid.UUID], Awaitable[BaseModel]]
) -> Claim | JSONResponse | None:
    """A claim, None without a key, or the replayed response (the record read again)."""
    claim = await IDEMPOTENCY.begin(session, reader.principal, request)
    if not isinstance(claim, JSONResponse):
        return claim
    stored = json.loads(bytes(claim.body))
    out = await load(uuid.UUID(stored["id"]))
    headers = {
        "Location": claim.headers.get("location", ""),
        "Idempotent-Replayed": "true",
        "ETag": etag(getattr(out, "version", 1)),
    }
    return JSONResponse(out.model_dump(mode="json"), status_code=claim.status_code, headers=headers)


async def respond(
    session: AsyncSession,
    reader: Reader,
    request: Request,
    response: Response,
    load: Callable[[uuid.UUID], Awaitable[BaseModel]],
    work: Callable[[], Awaitable[tuple[Out, uuid.UUID, dict[str, str]]]],
) -> Out | JSONResponse:
    """The route's whole ``Idempotency-Key`` handling (as :meth:`common.idempotency.Idempotency.respond`): a retry
    gets the record read again by ``load``; the first request runs ``work`` (its answer, the new record's id and the
    headers, ``Location`` among them), and only the id and ``Location`` are remembered."""
    claim = await _begin(session, reader, request, load)
    if isinstance(claim, JSONResponse):
        return claim
    out, record_id, headers = await work()
    response.headers.update(headers)
    await IDEMPOTENCY.finish(session, claim, 201, {"id": str(record_id)}, {"Location": headers["Location"]})
    return out
