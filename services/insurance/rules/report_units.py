"""Which unit a card counts under in a report (rules.md §8): its old district, or the 2025 commune it lies in.

Cards keep the codes their person had when the card was made: a pre-2025 card carries ``84 / old district / old
commune``, a card made since 2025-07-01 ``86 / (none) / new commune``. Pure: the caller passes the 2025 mapping
(:class:`common.territory.UnitMap`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from common.territory import UnitMap

Scheme = Literal["recorded", "2025"]


@dataclass(frozen=True, slots=True)
class ReportUnit:
    code: str
    name: str
    note: str = ""


def report_unit(
    units: UnitMap, scheme: Scheme, province_code: str, district_code: str, commune_code: str
) -> ReportUnit:
    """``recorded``: the old district (a 2025 commune counts under the old district all of its old communes came
    from; one that straddles two districts stays apart, under its own code, with a note). ``2025``: the 2025
    commune (an old commune counts under the one it became; one split between several stays under its old code,
    with a note). Codes the mapping does not know count under themselves."""
    is_old = province_code == units.old_province and commune_code in units.new_of
    if scheme == "recorded":
        if district_code:
            return ReportUnit(district_code, units.name(district_code))
        districts = sorted({units.district_of[o] for o in units.old_of.get(commune_code, ())})
        if len(districts) == 1:
            return ReportUnit(districts[0], units.name(districts[0]))
        note = (
            f"2025 commune across old districts {', '.join(districts)}"
            if districts
            else "no district recorded and none in the 2025 mapping"
        )
        return ReportUnit(commune_code, units.name(commune_code), note)
    if not is_old:
        return ReportUnit(commune_code, units.name(commune_code))
    news = sorted(units.new_of[commune_code])
    if len(news) == 1:
        return ReportUnit(news[0], units.name(news[0]))
    return ReportUnit(
        commune_code,
        units.names.get(f"old:{commune_code}", ""),
        f"split into {', '.join(news)}: counted under its recorded code",
    )
