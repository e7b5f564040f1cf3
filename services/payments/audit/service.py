"""What the safety rules would have refused, among the data already recorded (written before they existed): records
placed by codes the client sent (a district or province that is not the commune's, a code that is no commune in force
the day it was written), amounts above the programme's ``max_amount`` or not below 2^53, and payment days after the
report or before the batch was issued. Read-only: an officer decides what to do with each finding."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.money import MAX_SAFE_VND
from common.units import UnitProblem, Units, seed_units

from . import repository


def _limit_in(limits: list[tuple[date, Decimal]], month: date) -> Decimal | None:
    i = bisect_right([d for d, _ in limits], month)
    return limits[i - 1][1] if i else None


async def findings(session: AsyncSession, units: Units | None = None) -> list[dict[str, Any]]:
    """Every finding, as ``{"kind", "table", "id", "reason", …}``: ``area`` (codes that are not the commune's),
    ``amount`` (above ``max_amount`` or 2^53) and ``paid_on`` (line results)."""
    units = units or seed_units()
    limits: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for programme, valid_from, value in await repository.max_amounts(session):
        limits[programme].append((valid_from, value))
    out: list[dict[str, Any]] = []
    for r in await repository.placed_records(session):
        base = {
            "table": r.table,
            "id": str(r.id),
            "programme": r.programme,
            "commune_code": r.commune_code,
            "district_code": r.district_code,
            "province_code": r.province_code,
        }
        on = clock.to_vietnam_date(r.created_at)
        try:
            place = units.commune_on(r.commune_code, on)
            if (place.district_code, place.province_code) != (r.district_code, r.province_code):
                out.append(
                    {
                        "kind": "area",
                        **base,
                        "reason": (
                            f"recorded in district {r.district_code!r}, province {r.province_code!r}, but commune "
                            f"{r.commune_code} was in district {place.district_code!r}, province "
                            f"{place.province_code!r} on "
                            f"{on.isoformat()}"
                        ),
                    }
                )
        except UnitProblem as exc:
            out.append({"kind": "area", **base, "reason": f"{exc.reason} (on {on.isoformat()}, when it was recorded)"})
        limit = _limit_in(limits[r.programme], r.month)
        if r.amount > MAX_SAFE_VND or (limit is not None and r.amount > limit):
            shown = f"max_amount {int(limit)} in force in {r.month:%Y-%m}" if limit is not None else "2^53 − 1"
            out.append({"kind": "amount", **base, "amount": r.amount, "reason": f"{r.amount} VND is above {shown}"})
    for r in await repository.wrong_paid_days(session):
        why = (
            f"paid on {r.paid_on.isoformat()}, after the day it was reported ({r.reported_on.isoformat()})"
            if r.paid_on > r.reported_on
            else f"paid on {r.paid_on.isoformat()}, before the batch was issued ({r.issued_on.isoformat()})"
        )
        out.append(
            {
                "kind": "paid_on",
                "table": "line_results",
                "id": str(r.line_id),
                "batch_id": str(r.batch_id),
                "reason": why,
            }
        )
    return out
