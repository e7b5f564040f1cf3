"""Key rotation of the encrypted fields, without downtime.

1. add the new key to ``CHILD_PROTECTION_ENCRYPTION_KEYS`` and make it active
   (``CHILD_PROTECTION_ENCRYPTION_ACTIVE_KEY``); restart the replicas one by one — every replica reads values
   under either key, and writes under the new one;
2. call ``POST /child-protection/admin/encryption/rekey`` until it answers ``rewritten: 0``: each call
   re-encrypts up to ``batch`` values per column still under another key;
3. remove the old key from the settings.

This module rewrites the ciphertext columns of every table (an operations task, not a feature's data).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from common.crypto import VERSION, FieldCipher

# (table, key column, encrypted column, the field name bound to its values)
COLUMNS: list[tuple[str, str, str, str]] = [
    ("children", "id", "whereabouts_enc", "children.whereabouts"),
    ("cases", "id", "report_enc", "cases.report"),
    ("cases", "id", "perpetrator_enc", "cases.perpetrator"),
    ("cases", "id", "reporter_enc", "cases.reporter"),
    ("case_steps", "id", "note_enc", "case_steps.note"),
    ("plans", "id", "content_enc", "plans.content"),
    ("separations", "id", "note_enc", "separations.note"),
    ("placements", "id", "carer_enc", "placements.carer"),
    ("attachments", "id", "content_enc", "attachments.content"),
]


async def rekey(session: AsyncSession, cipher: FieldCipher, batch: int = 500) -> dict[str, Any]:
    kid = cipher.active.encode()
    prefix = bytes([VERSION, len(kid)]) + kid
    rewritten = 0
    per_column: dict[str, int] = {}
    for table, key, column, field in COLUMNS:
        rows = (
            await session.execute(
                text(
                    f"SELECT {key} AS k, {column} AS v FROM child_protection.{table} "
                    f"WHERE {column} IS NOT NULL AND substring({column} FROM 1 FOR :n) <> :prefix "
                    f"ORDER BY {key} LIMIT :batch FOR UPDATE"
                ),
                {"n": len(prefix), "prefix": prefix, "batch": batch},
            )
        ).all()
        for row in rows:
            await session.execute(
                text(f"UPDATE child_protection.{table} SET {column} = :v WHERE {key} = :k"),
                {"v": cipher.rotate(bytes(row.v), field), "k": row.k},
            )
        if rows:
            per_column[f"{table}.{column}"] = len(rows)
        rewritten += len(rows)
    return {"active_key": cipher.active, "rewritten": rewritten, "columns": per_column}
