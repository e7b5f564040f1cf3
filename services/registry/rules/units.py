"""Which administrative unit a record counts under in a report: as recorded, or in the 2025 units.

Records keep the codes they were made with (docs/rules.md §8). On 2025-07-01 Trà Vinh (84) merged into the new
Vĩnh Long (86), districts were abolished and communes were merged; ``unit_mappings`` says what each old
commune became. A new commune often reuses the code of one of the old communes merged into it, so a code
alone is ambiguous: a record is *of an old unit* when its province is the province of the unit row with that
code (84), and *of a new unit* otherwise (86, with no district).

Pure functions: no I/O. The caller loads the units and mappings once per report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Scheme(StrEnum):
    RECORDED = "recorded"
    """Group by the codes as recorded (old records under old units, new records under new units)."""
    UNITS_2025 = "2025"
    """Group by the units since the 2025 reorganisation: old communes are counted under what they became."""


class Level(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    province_code: str
    valid_to: date | None = None


@dataclass(frozen=True)
class Mapping:
    old_code: str
    new_code: str
    new_name: str
    new_province_code: str


@dataclass(frozen=True)
class Group:
    """A row of a report: the unit's code and name, and why a record could not be moved to a 2025 unit."""

    province_code: str
    code: str
    name: str
    note: str = ""


NO_DISTRICT = "no district (units created on or after 2025-07-01)"


class UnsupportedGrouping(ValueError):
    pass


def check_grouping(level: Level, scheme: Scheme) -> None:
    """Raise :class:`UnsupportedGrouping` for a grouping that does not exist (districts of the 2025 units)."""
    if scheme is Scheme.UNITS_2025 and level is Level.DISTRICT:
        raise UnsupportedGrouping("districts were abolished on 2025-07-01: group the 2025 units by commune or province")


class Units:
    """The administrative units and the 2025 mapping, for grouping records."""

    def __init__(self, units: Iterable[Unit], mappings: Iterable[Mapping]) -> None:
        self.units = {u.code: u for u in units}
        self.successors: dict[str, list[Mapping]] = defaultdict(list)
        self.new_names: dict[str, str] = {}
        for m in sorted(mappings, key=lambda m: (m.old_code, m.new_code)):
            self.successors[m.old_code].append(m)
            self.new_names.setdefault(m.new_code, m.new_name)

    def _name(self, code: str, province_code: str) -> str:
        unit = self.units.get(code)
        if unit is not None and unit.province_code == province_code:
            return unit.name
        return self.new_names.get(code) or (unit.name if unit is not None else code)

    def _is_old(self, commune_code: str, province_code: str) -> bool:
        unit = self.units.get(commune_code)
        return unit is not None and unit.province_code == province_code and bool(self.successors.get(commune_code))

    def group(self, level: Level, scheme: Scheme, province_code: str, district_code: str, commune_code: str) -> Group:
        """The report row a record with these codes counts under."""
        if scheme is Scheme.RECORDED:
            if level is Level.PROVINCE:
                return Group(province_code, province_code, self._name(province_code, province_code))
            if level is Level.DISTRICT:
                if not district_code:
                    return Group(province_code, "", NO_DISTRICT)
                return Group(province_code, district_code, self._name(district_code, province_code))
            return Group(province_code, commune_code, self._name(commune_code, province_code))
        check_grouping(level, scheme)
        if not self._is_old(commune_code, province_code):
            unit = self.units.get(commune_code)
            ended = unit is not None and unit.province_code == province_code and unit.valid_to is not None
            note = "ended with no 2025 mapping: counted under its recorded code" if ended else ""
            if level is Level.PROVINCE:
                return Group(province_code, province_code, self._name(province_code, province_code), note)
            return Group(province_code, commune_code, self._name(commune_code, province_code), note)
        successors = self.successors[commune_code]
        provinces = sorted({m.new_province_code for m in successors})
        if level is Level.PROVINCE and len(provinces) == 1:
            return Group(provinces[0], provinces[0], self._name(provinces[0], provinces[0]))
        if len(successors) == 1:
            new = successors[0]
            return Group(new.new_province_code, new.new_code, new.new_name)
        note = "split into {}: not attributed to one of them, counted under its recorded code"
        if level is Level.PROVINCE:
            return Group(
                province_code,
                province_code,
                self._name(province_code, province_code),
                note.format(", ".join(provinces)),
            )
        return Group(
            province_code,
            commune_code,
            self._name(commune_code, province_code),
            note.format(", ".join(m.new_code for m in successors)),
        )
