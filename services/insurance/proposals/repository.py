"""All SQL of TE proposals: the inbox's upsert and the officers' list with each child's status."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# The proposal (the first stands, later ones count) and the person queued for a new decision (the projection makes the
# person known first: ``service.propose``).
_PROPOSE = text("""
    WITH t AS (
        INSERT INTO insurance.te_proposals AS x (person_id, date_of_birth, commune_code, district_code, province_code)
        VALUES (:id, :dob, :commune, :district, :province)
        ON CONFLICT (person_id) DO UPDATE SET proposals = x.proposals + 1
        RETURNING person_id
    )
    INSERT INTO insurance.pending_decisions (person_id, reason) SELECT person_id, '' FROM t
    ON CONFLICT (person_id) DO NOTHING
""")

_LIST = """
    SELECT t.person_id, t.date_of_birth, t.commune_code, t.district_code, t.province_code, t.proposed_at, t.proposals,
           CASE WHEN EXISTS (SELECT 1 FROM insurance.cards c WHERE c.person_id = t.person_id AND c.ended_on IS NULL)
                     THEN 'card'
                WHEN EXISTS (SELECT 1 FROM insurance.exchange_items i
                             WHERE i.person_id = t.person_id AND i.result = 'pending') THEN 'on_list'
                WHEN EXISTS (SELECT 1 FROM insurance.entitlements e WHERE e.person_id = t.person_id
                             AND (e.valid_until IS NULL OR e.valid_until > CAST(:today AS date))) THEN 'to_enrol'
                WHEN EXISTS (SELECT 1 FROM insurance.pending_decisions q WHERE q.person_id = t.person_id)
                     THEN 'deciding'
                WHEN p.registered_on IS NULL THEN 'not_registered'
                ELSE 'not_entitled' END AS status
    FROM insurance.te_proposals t
    LEFT JOIN insurance.persons p ON p.id = t.person_id
    WHERE (CAST(:after AS uuid) IS NULL OR t.person_id > CAST(:after AS uuid))
      AND (CAST(:areas AS text[]) IS NULL OR t.province_code = ANY(:areas) OR t.district_code = ANY(:areas)
           OR t.commune_code = ANY(:areas))
    ORDER BY t.person_id
    LIMIT :limit
"""


async def propose(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(_PROPOSE, row)


async def page(
    session: AsyncSession, areas: Sequence[str] | None, after: uuid.UUID | None, limit: int, today: Any
) -> list[Any]:
    return list(
        (
            await session.execute(
                text(_LIST),
                {"areas": list(areas) if areas is not None else None, "after": after, "limit": limit, "today": today},
            )
        ).all()
    )


_MOVE = text("""
    WITH gone AS (DELETE FROM insurance.te_proposals WHERE person_id = :merged RETURNING *)
    INSERT INTO insurance.te_proposals AS x (person_id, date_of_birth, proposed_at, proposals, commune_code,
                                             district_code, province_code)
    SELECT :survivor, date_of_birth, proposed_at, proposals, commune_code, district_code, province_code FROM gone
    ON CONFLICT (person_id) DO UPDATE SET proposals = x.proposals + EXCLUDED.proposals,
        proposed_at = LEAST(x.proposed_at, EXCLUDED.proposed_at)""")


async def move(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID) -> None:
    await session.execute(_MOVE, {"merged": merged, "survivor": survivor})
