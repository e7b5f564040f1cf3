"""Flagging possible duplicates: what registration, household changes and imports call after their writes. Apart
from ``service.py`` (list, dismiss, merge), whose merge calls those features' services: a feature may call this one
without an import circle."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from . import repository


async def flag(session: AsyncSession, person_ids: Sequence[uuid.UUID], by: str) -> None:
    """Flag every pair ``person_ids`` form with other live records (same name, date of birth and commune, or same
    name and birth year in one household; never two different national IDs). A decided pair stays decided."""
    await repository.flag(session, person_ids, by)


def flag_new_sql(rows: str) -> tuple[str, dict[str, Any]]:
    """:func:`flag` for the records a bulk insert writes, none of them in a household yet (a bulk import's persons),
    as SQL the insert runs in the same statement (``persons.service.register_many``'s ``flag``): the same pairs,
    found from the records' own keys."""
    return repository.flag_new_sql(rows)


async def open_partners(session: AsyncSession, person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """For each of ``person_ids``, the other records of its open pairs."""
    return await repository.open_partners(session, person_ids)
