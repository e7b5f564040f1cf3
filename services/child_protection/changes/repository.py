"""The change feed (the only writer of ``changes``).

Writers insert rows with no position and take no lock, so recording a change costs one insert. Positions are
given by readers: before reading, a reader that gets the (transaction-scoped) lock numbers every committed row
still without a position, after the highest position, in insertion order. The lock is held until the reader's
transaction commits, so positions become visible in the order they were given: a device that has read past
position n never sees a smaller one appear later. A reader that does not get the lock reads what is numbered
(another reader is numbering the rest and it will be there on the next call).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import Change

_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtext('child_protection.changes'))")
_NUMBER = text("""
    WITH base AS (SELECT coalesce(max(position), 0) AS top FROM child_protection.changes),
    todo AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM child_protection.changes
             WHERE position IS NULL ORDER BY id LIMIT 10000)
    UPDATE child_protection.changes c SET position = base.top + todo.n FROM base, todo WHERE c.id = todo.id
""")


async def add(
    session: AsyncSession,
    *,
    entity: str,
    entity_id: uuid.UUID,
    commune_code: str,
    district_code: str,
    province_code: str,
    case_id: uuid.UUID | None,
    child_id: uuid.UUID | None,
    version: int | None,
) -> None:
    await session.execute(
        insert(Change).values(
            entity=entity,
            entity_id=entity_id,
            commune_code=commune_code,
            district_code=district_code,
            province_code=province_code,
            case_id=case_id,
            child_id=child_id,
            version=version,
        )
    )


async def number_pending(session: AsyncSession) -> None:
    if await session.scalar(_TRY_LOCK):
        await session.execute(_NUMBER)


async def after(
    session: AsyncSession, position: int, areas: Sequence[str] | None, commune_code: str | None, limit: int
) -> list[Change]:
    stmt = (
        select(Change)
        .where(Change.position.is_not(None), Change.position > position)
        .order_by(Change.position)
        .limit(limit)
    )
    if areas is not None:
        stmt = stmt.where(in_areas(Change, areas))
    if commune_code is not None:
        stmt = stmt.where(Change.commune_code == commune_code)
    return list((await session.scalars(stmt)).all())
