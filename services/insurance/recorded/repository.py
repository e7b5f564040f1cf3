"""All SQL of the groups recorded as data: rows are added and withdrawn, never edited or deleted."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

_COLUMNS = """id, person_id, group_code, valid_from, valid_to, document, recorded_by, recorded_at, withdrawn_by,
    withdrawn_at, withdraw_reason"""


async def add(
    session: AsyncSession,
    person_id: uuid.UUID,
    group: str,
    valid_from: date,
    valid_to: date | None,
    document: str,
    by: str,
) -> Row[Any] | None:
    """The new row, or None when the same group from the same day is already recorded (and not withdrawn). Queues
    the person for a new decision in the same statement."""
    try:
        async with session.begin_nested():
            return (
                await session.execute(
                    text(f"""
                WITH r AS (
                    INSERT INTO insurance.recorded_groups (id, person_id, group_code, valid_from, valid_to, document,
                                                           recorded_by)
                    VALUES (gen_random_uuid(), :p, :g, :f, :t, :d, :by) RETURNING {_COLUMNS}
                ), q AS (
                    INSERT INTO insurance.pending_decisions (person_id, reason) SELECT person_id, '' FROM r
                    ON CONFLICT (person_id) DO NOTHING)
                SELECT * FROM r"""),
                    {"p": person_id, "g": group, "f": valid_from, "t": valid_to, "d": document, "by": by},
                )
            ).first()
    except IntegrityError:
        return None


async def withdraw(
    session: AsyncSession, person_id: uuid.UUID, record_id: uuid.UUID, reason: str, by: str
) -> Row[Any] | None:
    """The withdrawn row; None when there is no such record of the person or it was already withdrawn."""
    return (
        await session.execute(
            text(f"""
        WITH r AS (
            UPDATE insurance.recorded_groups SET withdrawn_by = :by, withdrawn_at = now(), withdraw_reason = :reason
            WHERE id = :id AND person_id = :p AND withdrawn_at IS NULL RETURNING {_COLUMNS}
        ), q AS (
            INSERT INTO insurance.pending_decisions (person_id, reason) SELECT person_id, '' FROM r
            ON CONFLICT (person_id) DO NOTHING)
        SELECT * FROM r"""),
            {"id": record_id, "p": person_id, "reason": reason, "by": by},
        )
    ).first()


async def of_person(session: AsyncSession, person_id: uuid.UUID) -> list[Row[Any]]:
    return list(
        (
            await session.execute(
                text(f"""
        SELECT {_COLUMNS} FROM insurance.recorded_groups WHERE person_id = :p ORDER BY valid_from, recorded_at"""),
                {"p": person_id},
            )
        ).all()
    )


async def exists(session: AsyncSession, person_id: uuid.UUID, record_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(
            text("""
        SELECT EXISTS (SELECT FROM insurance.recorded_groups WHERE id = :id AND person_id = :p)"""),
            {"id": record_id, "p": person_id},
        )
    )


_MOVE = text("""
    WITH moved AS (
        UPDATE insurance.recorded_groups r SET person_id = :survivor
        WHERE r.person_id = :merged AND (r.withdrawn_at IS NOT NULL OR NOT EXISTS (
            SELECT 1 FROM insurance.recorded_groups s WHERE s.person_id = :survivor AND s.withdrawn_at IS NULL
              AND s.group_code = r.group_code AND s.valid_from = r.valid_from))
        RETURNING r.id
    )
    UPDATE insurance.recorded_groups SET withdrawn_by = :by, withdrawn_at = now(), withdraw_reason = :reason
    WHERE person_id = :merged AND withdrawn_at IS NULL AND id NOT IN (SELECT id FROM moved)""")


async def move(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID, by: str) -> None:
    """A merge: the records of ``merged`` become the survivor's; one the survivor already holds (same group, same
    first day) is withdrawn on ``merged`` instead, with the reason."""
    await session.execute(
        _MOVE,
        {"merged": merged, "survivor": survivor, "by": by, "reason": f"merged into {survivor}: the survivor holds it"},
    )
