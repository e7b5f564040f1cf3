"""All SQL of change histories. Nothing here commits."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import ChangeRecord


async def changes(session: AsyncSession, record_type: str, record_id: uuid.UUID, *, before_id: int | None,
                  limit: int) -> list[ChangeRecord]:
    """Up to ``limit`` change records of one record, newest first, older than ``before_id`` (keyset)."""
    query = select(ChangeRecord).where(ChangeRecord.record_type == record_type, ChangeRecord.record_id == record_id)
    if before_id is not None:
        query = query.where(ChangeRecord.id < before_id)
    return list(await session.scalars(query.order_by(ChangeRecord.id.desc()).limit(limit)))
