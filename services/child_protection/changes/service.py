"""Recording changes for the devices' feed, and reading the feed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.pagination import KEYSET_INT, encode_cursor, keyset

from ..access import Reader
from ..access.service import audit
from . import repository
from .schemas import ChangeOut, ChangePage


async def record(
    session: AsyncSession,
    entity: str,
    row: Any,
    *,
    case_id: uuid.UUID | None = None,
    child_id: uuid.UUID | None = None,
    entity_id: uuid.UUID | None = None,
) -> None:
    """``row`` (a child, case or placement; for an attachment, its case with ``entity_id``) changed; its area
    decides who sees it."""
    await repository.add(
        session,
        entity=entity,
        entity_id=entity_id or row.id,
        commune_code=row.commune_code,
        district_code=row.district_code,
        province_code=row.province_code,
        case_id=case_id,
        child_id=child_id,
        version=None if entity_id else getattr(row, "version", None),
    )


async def feed(
    session: AsyncSession, reader: Reader, after: str | None, commune_code: str | None, limit: int
) -> ChangePage:
    position = keyset(after, KEYSET_INT, field="query.after")
    start = position[0] if position else 0
    await repository.number_pending(session)
    rows = await repository.after(session, start, reader.areas, commune_code, limit)
    last = rows[-1].position if rows and rows[-1].position is not None else start
    await audit(session, reader, "change_feed", None, detail=f"after={after or ''} commune={commune_code or ''}")
    return ChangePage(
        items=[
            ChangeOut(
                position=r.position or 0,
                entity=r.entity,
                id=r.entity_id,
                case_id=r.case_id,
                child_id=r.child_id,
                version=r.version,
                commune_code=r.commune_code,
                at=r.at,
            )
            for r in rows
        ],
        next_cursor=encode_cursor([last]),
        more=len(rows) == limit,
    )
