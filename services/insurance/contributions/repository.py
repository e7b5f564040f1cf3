"""All SQL of the contributions report: one row per card and month of validity in the range (with the household of a
GB card's holder that month), streamed in chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

_CARD_MONTHS = """
    SELECT c.id, c.group_code, c.paid_on, c.commune_code, c.district_code, m.m::date AS month, hm.household_id
    FROM insurance.cards c
    CROSS JOIN LATERAL generate_series(date_trunc('month', GREATEST(c.valid_from, CAST(:first AS date))),
                                       date_trunc('month', LEAST(COALESCE(c.valid_to, CAST(:last AS date)),
                                                                 CAST(:last AS date))),
                                       interval '1 month') AS m(m)
    LEFT JOIN LATERAL (
        SELECT h.household_id FROM insurance.household_members h
        WHERE h.person_id = c.person_id AND h.joined_on < m.m + interval '1 month'
          AND (h.left_on IS NULL OR h.left_on > m.m)
        ORDER BY h.joined_on DESC LIMIT 1) hm ON c.group_code = 'GB'
    WHERE c.valid_from <= :last AND (c.valid_to IS NULL OR c.valid_to >= :first)
      AND (c.valid_to IS NULL OR c.valid_to >= c.valid_from) {areas}
    ORDER BY m.m, hm.household_id NULLS LAST, c.paid_on NULLS LAST, c.id"""


async def card_months(
    session: AsyncSession, first: date, last: date, areas: Sequence[str] | None, chunk: int = 20_000
) -> AsyncIterator[Sequence[Row[Any]]]:
    """Card-months ordered by month, then household, then payment day: the GB household scheme ranks members in
    that order (the first paid is the 1st member)."""
    where = ""
    params: dict[str, Any] = {"first": first, "last": last}
    if areas is not None:
        where = "AND (c.province_code = ANY(:areas) OR c.district_code = ANY(:areas) OR c.commune_code = ANY(:areas))"
        params["areas"] = list(areas)
    result = await session.stream(text(_CARD_MONTHS.format(areas=where)), params)
    async for part in result.partitions(chunk):
        yield part
