"""Attachments (the only writer of ``attachments``)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Attachment


async def add(session: AsyncSession, row: Attachment) -> None:
    session.add(row)
    await session.flush()
    await session.refresh(row)


async def get(session: AsyncSession, attachment_id: uuid.UUID) -> Attachment | None:
    return await session.get(Attachment, attachment_id)


async def of_case(session: AsyncSession, case_id: uuid.UUID) -> list[tuple[uuid.UUID, str, int, str, str, object]]:
    rows = await session.execute(
        select(
            Attachment.id,
            Attachment.content_type,
            Attachment.size,
            Attachment.sha256,
            Attachment.created_by,
            Attachment.created_at,
        )
        .where(Attachment.case_id == case_id)
        .order_by(Attachment.created_at)
    )
    return [tuple(r) for r in rows.all()]  # type: ignore[misc]
