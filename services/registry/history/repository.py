"""All SQL of change histories (the one writer of ``change_history``; other features call ``history.service.record``).
Nothing here commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import SCHEMA, ChangeRecord


async def changes(
    session: AsyncSession, record_type: str, record_id: uuid.UUID, *, before_id: int | None, limit: int
) -> list[ChangeRecord]:
    """Up to ``limit`` change records of one record, newest first, older than ``before_id`` (keyset)."""
    query = select(ChangeRecord).where(ChangeRecord.record_type == record_type, ChangeRecord.record_id == record_id)
    if before_id is not None:
        query = query.where(ChangeRecord.id < before_id)
    return list(await session.scalars(query.order_by(ChangeRecord.id.desc()).limit(limit)))


def add(
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
    session.add(
        ChangeRecord(
            record_type=record_type,
            record_id=record_id,
            version=version,
            changed_by=changed_by,
            reason=reason,
            before=before,
            after=after,
        )
    )


async def add_created(
    session: AsyncSession,
    record_type: str,
    changed_by: str,
    ids: Sequence[uuid.UUID],
    reasons: Sequence[str],
    afters: Sequence[str],
) -> None:
    """The first change record (version 1, ``after`` as JSON text) of each of ``ids``, set-based (bulk imports)."""
    if not ids:
        return
    await session.execute(
        text(f"""
        INSERT INTO {SCHEMA}.change_history (record_type, record_id, version, changed_by, reason, before, after)
        SELECT :type, h.id, 1, :by, h.reason, NULL, CAST(h.after AS jsonb)
        FROM unnest(CAST(:id AS uuid[]), CAST(:reason AS text[]), CAST(:after AS text[])) AS h(id, reason, after)
    """),
        {"type": record_type, "by": changed_by, "id": list(ids), "reason": list(reasons), "after": list(afters)},
    )


def created_sql(
    record_type: str, changed_by: str, reason: str, rows: str, fields: Sequence[str]
) -> tuple[str, dict[str, Any]]:
    """The first change record of each row of ``rows`` (a CTE of the caller's statement, e.g. the rows a bulk insert
    returns: an ``id`` and the columns ``fields``), ``after`` built by PostgreSQL from those columns (dates as
    ``YYYY-MM-DD``, as the JSON of :func:`add_created` has them). SQL to append to the caller's ``WITH`` list (it
    starts with a comma; PostgreSQL runs the insert whether or not the final query reads it) and its parameters."""
    pairs = ", ".join(f"'{f}', r.{f}" for f in fields)
    sql = f"""
        , _history AS (
            INSERT INTO {SCHEMA}.change_history (record_type, record_id, version, changed_by, reason, before, after)
            SELECT CAST(:_h_type AS text), r.id, 1, CAST(:_h_by AS text), CAST(:_h_reason AS text), NULL,
                   jsonb_build_object({pairs})
            FROM {rows} r
            RETURNING 1
        )"""
    return sql, {"_h_type": record_type, "_h_by": changed_by, "_h_reason": reason}
