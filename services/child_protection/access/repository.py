"""The audit of reads (the only writer of ``read_audit``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import Attachment, Case, Child, Placement, ReadAudit


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


def _about_records_in(areas: Sequence[str]) -> Any:
    """Entries about a child, case, placement or attachment (of a case) within ``areas``. Entries about no single
    record (lists, the change feed, reads of the trail) are left out: their filters name communes and children."""
    entry = ReadAudit.record_id

    def placed(model: Any) -> Any:
        return select(model.id).where(model.id == entry, in_areas(model, areas)).exists()

    attachment = (
        select(Attachment.id)
        .join(Case, Case.id == Attachment.case_id)
        .where(Attachment.id == entry, in_areas(Case, areas))
        .exists()
    )
    return or_(
        and_(ReadAudit.record_type == "child", placed(Child)),
        and_(ReadAudit.record_type == "case", placed(Case)),
        and_(ReadAudit.record_type == "placement", placed(Placement)),
        and_(ReadAudit.record_type == "attachment", attachment),
    )


async def query(
    session: AsyncSession,
    *,
    areas: Sequence[str] | None = None,
    record_id: uuid.UUID | None,
    client_id: str | None,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[ReadAudit]:
    stmt = select(ReadAudit).order_by(ReadAudit.id.desc()).limit(limit)
    if areas is not None:
        stmt = stmt.where(_about_records_in(areas))
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
