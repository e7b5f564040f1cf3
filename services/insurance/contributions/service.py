"""The contributions and budget report: per card and month, 4.5% × the base salary in force (100%-state groups follow
a new base salary from its date; part-funded groups keep the one in force when paid), the GB household scheme, the
state share on top, state and household parts apart; totals by group, period, commune and old district
(a 2025 commune mapped back to the old district(s) it came from: ``rules/districts.py``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import ValidationFailed
from common.territory import unit_map

from ..parameters import service as parameters
from ..rules.contributions import household_factor, month_amount, split
from ..rules.districts import district_name, old_district
from ..rules.validity import month_end
from . import repository
from .schemas import ReportOut, TotalOut

DIMENSIONS = ("group", "period", "commune", "district")


def month(text_: str) -> date:
    return date(int(text_[:4]), int(text_[5:]), 1)


async def report(session: AsyncSession, principal: Principal, first: str, last: str, by: list[str]) -> ReportOut:
    if any(b not in DIMENSIONS for b in by):
        raise ValidationFailed([{"field": "query.by", "reason": f"any of {', '.join(DIMENSIONS)}"}])
    if len(set(by)) != len(by):
        raise ValidationFailed([{"field": "query.by", "reason": "each dimension at most once"}])
    start, end = month(first), month_end(month(last))
    if start > end:
        raise ValidationFailed([{"field": "query.last", "reason": "before first"}])
    params = await parameters.load(session)
    base = params.series.get("base_salary", [])
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    position: dict[tuple[date, Any], int] = defaultdict(int)
    units = unit_map()
    districts: dict[tuple[str, str], str] = {}
    async for rows in repository.card_months(session, start, end, principal.limited_to):
        for r in rows:
            group = params.groups.get(r.group_code)
            if group is None:
                continue
            rate = params.value("contribution_rate", r.month)
            if rate is None:
                raise ValidationFailed([{"field": "query.first", "reason": f"no contribution rate on {r.month}"}])
            try:
                full = month_amount(r.month, r.paid_on, base, rate, group.fully_state_funded)
            except ValueError as exc:
                raise ValidationFailed([{"field": "query.first", "reason": str(exc)}]) from exc
            factor = household_factor(1)
            if r.household_id is not None:
                position[(r.month, r.household_id)] += 1
                factor = household_factor(position[(r.month, r.household_id)], params.household_factors(r.month))
            share = params.value(f"state_share.{r.group_code}", r.month) or group.state_share
            part = split(full, share, factor)
            place = (r.commune_code, r.district_code)
            district = districts.get(place)
            if district is None:
                district = districts[place] = old_district(r.commune_code, r.district_code, units)
            key = tuple(
                {"group": r.group_code, "period": f"{r.month:%Y-%m}", "commune": r.commune_code, "district": district}[
                    b
                ]
                for b in by
            )
            s = sums[key]
            s[0] += 1
            s[1] += part.total
            s[2] += part.state
            s[3] += part.household
    totals = []
    for key in sorted(sums):
        s = sums[key]
        named = dict(zip(by, key, strict=True))
        totals.append(
            TotalOut(
                group=named.get("group"),
                period=named.get("period"),
                commune_code=named.get("commune"),
                district_code=named.get("district"),
                district_name=(district_name(named["district"], units) if "district" in named else None),
                card_months=s[0],
                total=s[1],
                state=s[2],
                household=s[3],
            )
        )
    grand = TotalOut(
        card_months=sum(t.card_months for t in totals),
        total=sum(t.total for t in totals),
        state=sum(t.state for t in totals),
        household=sum(t.household for t in totals),
    )
    return ReportOut(first=first, last=last, by=by, totals=totals, grand_total=grand)
