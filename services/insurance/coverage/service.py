"""The coverage check: valid card or not on a day, and the audit of who asked and why."""

from __future__ import annotations

from datetime import date

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.auth import Principal
from common.db import DriverPool

from ..exchange.identities import digest
from . import repository


async def check(
    sessionmaker: async_sessionmaker[AsyncSession],
    pool: DriverPool | None,
    principal: Principal,
    national_id: str,
    on: date,
    purpose: str,
    key: str,
) -> bytes:
    """The JSON answer (the shape of ``CoverageOut``) about the card valid on ``on`` for the person with
    ``national_id`` (found by its keyed digest, learnt when the person was on a BHXH list). Every call is audited,
    covered or not, with the caller and the purpose: the lookup and the audit row are one statement, run in autocommit
    (atomic by itself; no BEGIN and COMMIT round trips), so the audit row is durable before the answer is sent."""
    d = digest(key, national_id)
    row = await repository.card_on_audited(sessionmaker, pool, d, on, principal.client_id, purpose)
    if row is None:
        return orjson.dumps(
            {"on": on, "covered": False, "group": None, "benefit_level": None, "valid_from": None, "valid_to": None}
        )
    return orjson.dumps(
        {
            "on": on,
            "covered": True,
            "group": row["group_code"],
            "benefit_level": row["benefit_level"],
            "valid_from": row["valid_from"],
            "valid_to": row["valid_to"],
        }
    )
