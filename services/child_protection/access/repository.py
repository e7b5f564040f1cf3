"""The audit of reads (the only writer of ``read_audit``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import ReadAudit


async def add(
    session: AsyncSession,
    *,
    client_id: str,
    record_type: str,
    record_id: uuid.UUID | None,
    purpose: str,
    request_id: str | None,
    at: datetime,
    detail: str | None = None,
) -> None:
    await session.execute(
        insert(ReadAudit).values(
            client_id=client_id,
            record_type=record_type,
            record_id=record_id,
            purpose=purpose,
            request_id=request_id,
            at=at,
            detail=detail,
        )
    )


async def query(
    session: AsyncSession,
    *,
    record_id: uuid.UUID | None,
    client_id: str | None,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[ReadAudit]:
    stmt = select(ReadAudit).order_by(ReadAudit.id.desc()).limit(limit)
    if record_id is not None:
        stmt = stmt.where(ReadAudit.record_id == record_id)
    if client_id is not None:
        stmt = stmt.where(ReadAudit.client_id == client_id)
    if since is not None:
        stmt = stmt.where(ReadAudit.at >= since)
    if until is not None:
        stmt = stmt.where(ReadAudit.at < until)
    if before_id is not None:
        stmt = stmt.where(ReadAudit.id < before_id)
    return list((await session.scalars(stmt)).all())
