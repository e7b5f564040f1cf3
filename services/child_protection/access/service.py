"""Recording and querying the audit of reads."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.pagination import KEYSET_INT, keyset, page_of

from . import Reader, repository
from .schemas import AuditEntry, AuditPage


async def audit(
    session: AsyncSession, reader: Reader, record_type: str, record_id: uuid.UUID | None, detail: str | None = None
) -> None:
    """Record that ``reader`` saw a record (in the request's transaction: no read without its audit)."""
    await repository.add(
        session,
        client_id=reader.client_id,
        record_type=record_type,
        record_id=record_id,
        purpose=reader.purpose,
        request_id=reader.request_id,
        at=clock.now(),
        detail=detail,
    )


async def trail(
    session: AsyncSession,
    reader: Reader,
    *,
    record_id: uuid.UUID | None,
    client_id: str | None,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> AuditPage:
    position = keyset(cursor, KEYSET_INT)
    rows = await repository.query(
        session,
        areas=reader.areas,
        record_id=record_id,
        client_id=client_id,
        since=since,
        until=until,
        before_id=position[0] if position else None,
        limit=limit + 1,
    )
    rows, next_cursor = page_of(rows, limit, lambda r: [r.id])
    return AuditPage(
        items=[
            AuditEntry(
                at=r.at,
                client_id=r.client_id,
                record_type=r.record_type,
                record_id=r.record_id,
                purpose=r.purpose,
                request_id=r.request_id,
                detail=r.detail,
            )
            for r in rows
        ],
        next_cursor=next_cursor,
    )
