"""Change histories: every feature records its changes here (``record``, in the change's transaction), and reads a
record's history page by page (the caller checks first that the record is visible)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.pagination import KEYSET_INT, keyset, page_of

from . import repository

Values = dict[str, Any] | None


def _first(position: tuple[int, ...] | None) -> int | None:
    return position[0] if position else None


async def page(
    session: AsyncSession,
    record_type: str,
    record_id: uuid.UUID,
    cursor: str | None,
    limit: int,
    show: Callable[[Values], Values] = lambda values: values,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of changes, newest first, and the cursor of the next page; ``show`` filters the values
    (e.g. redacts sensitive fields)."""
    before_id = _first(keyset(cursor, KEYSET_INT))
    rows = await repository.changes(session, record_type, record_id, before_id=before_id, limit=limit + 1)
    rows, next_cursor = page_of(rows, limit, lambda r: [r.id])
    items = [
        {
            "version": r.version,
            "changed_at": r.changed_at,
            "changed_by": r.changed_by,
            "reason": r.reason,
            "before": show(r.before),
            "after": show(r.after),
        }
        for r in rows
    ]
    return items, next_cursor


def record(
    session: AsyncSession,
    *,
    record_type: str,
    record_id: uuid.UUID,
    version: int,
    changed_by: str,
    reason: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    """One change of a record (``before``/``after`` hold the changed fields), written with the change."""
    repository.add(
        session,
        record_type=record_type,
        record_id=record_id,
        version=version,
        changed_by=changed_by,
        reason=reason,
        before=before,
        after=after,
    )


async def record_created(
    session: AsyncSession, record_type: str, changed_by: str, created: Sequence[tuple[uuid.UUID, str, str]]
) -> None:
    """The first change record of each record a bulk import created: (id, reason, ``after`` as JSON text)."""
    await repository.add_created(
        session, record_type, changed_by, [c[0] for c in created], [c[1] for c in created], [c[2] for c in created]
    )


def created_sql(
    record_type: str, changed_by: str, reason: str, rows: str, fields: Sequence[str]
) -> tuple[str, dict[str, Any]]:
    """:func:`record_created` inside the caller's insert statement: SQL (and its parameters) that writes the first
    change record of each row of the CTE ``rows``, ``after`` built by PostgreSQL from its columns ``fields`` (see
    :func:`.repository.created_sql`). A bulk import no longer builds and sends 50,000 JSON documents."""
    return repository.created_sql(record_type, changed_by, reason, rows, fields)
