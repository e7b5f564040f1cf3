"""The insurance year-end report: cards by group and by unit, and what the year's card-months cost (the
contributions report's own computation, rules.md §6), the state and household parts apart."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.auth import Principal
from common.errors import ValidationFailed
from common.territory import unit_map

from ..contributions import service as contributions
from ..parameters import service as parameters
from ..rules import districts
from ..rules.report_units import ReportUnit, Scheme, report_unit
from . import repository
from .schemas import CardsReport, Figures, GroupRow, UnitRow

FIELDS = ("cards_in_force", "cards_valid", "card_months", "cost", "state", "household")


def _empty() -> dict[str, int]:
    return dict.fromkeys(FIELDS, 0)


async def cards(session: AsyncSession, principal: Principal, year: int, units: Scheme) -> CardsReport:
    today = clock.today()
    if year > today.year:
        raise ValidationFailed([{"field": "query.year", "reason": f"{year} has not begun"}])
    as_of = min(date(year, 12, 31), today)
    first, last = f"{year}-01", f"{as_of:%Y-%m}"
    umap = unit_map()
    by_group: dict[str, dict[str, int]] = defaultdict(_empty)
    by_unit: dict[ReportUnit, dict[str, int]] = defaultdict(_empty)
    for r in await repository.card_counts(session, date(year, 1, 1), as_of, principal.limited_to):
        unit = report_unit(umap, units, r.province_code, r.district_code, r.commune_code)
        for target in (by_group[r.group_code], by_unit[unit]):
            target["cards_in_force"] += r.in_force
            target["cards_valid"] += r.valid_in_year
    costed = await contributions.report(session, principal, first, last, ["group", "district", "commune"])
    for t in costed.totals:
        district, commune = t.district_code or "", t.commune_code or ""
        if districts.JOIN in district:
            # A 2025 commune formed across two old districts (contributions names both, ``842+847``): the report
            # keeps it apart under its own code, with its note, as it does for the card counts.
            district = ""
        # Records made before 2025-07-01 carry their old district; later ones none (province 86, a new commune).
        province = umap.old_province if district else ""
        unit = report_unit(umap, units, province, district, commune)
        for target in (by_group[t.group or ""], by_unit[unit]):
            target["card_months"] += t.card_months
            target["cost"] += t.total
            target["state"] += t.state
            target["household"] += t.household
    params = await parameters.load(session, as_of)
    order = {code: i for i, code in enumerate(sorted(params.groups, key=lambda c: params.groups[c].statutory_order))}
    groups = [
        GroupRow(group=g, name=params.groups[g].name if g in params.groups else g, **by_group[g])
        for g in sorted(by_group, key=lambda g: (order.get(g, 99), g))
    ]
    rows = [
        UnitRow(code=u.code, name=u.name, note=u.note, **by_unit[u])
        for u in sorted(by_unit, key=lambda u: (u.note != "", u.code))
    ]
    total = Figures(**{f: sum(g[f] for g in by_group.values()) for f in FIELDS})
    return CardsReport(
        year=year,
        as_of=as_of,
        first=first,
        last=last,
        units=units,
        by="district" if units == "recorded" else "commune",
        groups=groups,
        rows=rows,
        total=total,
    )
