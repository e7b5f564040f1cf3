"""All SQL of the insurance year-end report (read-only, set-based)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

_CARDS = """
    SELECT c.group_code, c.province_code, c.district_code, c.commune_code,
           count(*) FILTER (WHERE c.valid_from <= :as_of AND (c.valid_to IS NULL OR c.valid_to >= :as_of))
               AS in_force,
           count(*) AS valid_in_year
    FROM insurance.cards c
    WHERE c.valid_from <= :as_of AND (c.valid_to IS NULL OR c.valid_to >= :first)
      AND (c.valid_to IS NULL OR c.valid_to >= c.valid_from) {areas}
    GROUP BY 1, 2, 3, 4"""


async def card_counts(
    session: AsyncSession, first: date, as_of: date, areas: Sequence[str] | None
) -> Sequence[Row[Any]]:
    """Per group and recorded unit: the cards valid on ``as_of`` (in force), and the cards valid on at least one day
    from ``first`` to ``as_of``. A card ended early has its last day in ``valid_to``."""
    where = ""
    params: dict[str, Any] = {"first": first, "as_of": as_of}
    if areas is not None:
        where = "AND (c.province_code = ANY(:areas) OR c.district_code = ANY(:areas) OR c.commune_code = ANY(:areas))"
        params["areas"] = list(areas)
    return (await session.execute(text(_CARDS.format(areas=where)), params)).all()
