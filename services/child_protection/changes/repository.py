"""The change feed (the only writer of ``changes``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import Change

_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('child_protection.changes'))")


async def add(session: AsyncSession, *, entity: str, entity_id: uuid.UUID, commune_code: str, district_code: str,
              province_code: str, case_id: uuid.UUID | None, child_id: uuid.UUID | None,
              version: int | None) -> None:
    # Positions must become visible in order: a device that has read past position n must never see a
    # smaller one appear later. The lock (held to commit) serialises writers of the feed.
    await session.execute(_LOCK)
    await session.execute(insert(Change).values(
        entity=entity, entity_id=entity_id, commune_code=commune_code, district_code=district_code,
        province_code=province_code, case_id=case_id, child_id=child_id, version=version))


async def after(session: AsyncSession, position: int, areas: Sequence[str] | None, commune_code: str | None,
                limit: int) -> list[Change]:
    stmt = select(Change).where(Change.id > position).order_by(Change.id).limit(limit)
    if areas is not None:
        stmt = stmt.where(in_areas(Change, areas))
    if commune_code is not None:
        stmt = stmt.where(Change.commune_code == commune_code)
    return list((await session.scalars(stmt)).all())
