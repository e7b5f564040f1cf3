"""Administrative units for every service: resolve a commune code on a day to (province, district, commune).

A write that carries an area names the **commune only**; the service derives the district and the province from
here, refuses a code that is no commune in force that day (unknown, malformed, or abolished by the 2025
reorganisation) with 422, and checks the *commune* against the client's areas (directly, or through the district
or province it belongs to — never through codes the client sent).

The units are read from ``seed/tra_vinh_admin_units.csv`` (the repository's seed file, the same data the
registry's migration ``registry_0004`` loads into its ``admin_units`` and ``unit_mappings``), once per process:

* every old Trà Vinh commune (province 84, its district) exists until 2025-07-01, when the district level was
  abolished and Trà Vinh merged into the new Vĩnh Long (86);
* every new commune of the file's ``new_*`` columns exists from 2025-07-01, in its new province, with no
  district. A new commune often reuses the code of one of the old communes merged into it: the code then means
  the old commune before 2025-07-01 and the new one from that day.

This is the registry's rule (``persons.repository.commune_in_force``) on the seed data. Corrections an
administrator makes through the registry's units API do not reach this copy: see ``docs/architecture.md``.

Pure data and functions, no I/O after the first load; services call :func:`place_for_write`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from .auth import Principal
from .errors import Forbidden, ValidationFailed
from .territory import _seed_path  # one place finds the seed file (source tree, image, working directory)

REORGANISED = date(2025, 7, 1)
"""The day the 2025 reorganisation took effect: districts abolished, Trà Vinh (84) merged into Vĩnh Long (86)."""
COMMUNE_CODE = r"^[0-9]{5}$"
"""A commune's official GSO code: 5 digits."""

__all__ = ["COMMUNE_CODE", "CommuneOnly", "Place", "UnitProblem", "Units", "place_for_write", "seed_units"]


@dataclass(frozen=True, slots=True)
class Place:
    """Where a record is: a commune and the district and province it belongs to on the day it was resolved."""

    commune_code: str
    district_code: str
    """Empty for communes of the 2025 units (the district level was abolished)."""
    province_code: str


@dataclass(frozen=True, slots=True)
class _Commune:
    code: str
    district_code: str
    province_code: str
    valid_from: date | None
    """None: since before any record (the old units' start is not in the data)."""
    valid_to: date | None
    """First day it no longer exists; None: still in force."""

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on < self.valid_to)


class UnitProblem(ValueError):
    """A code that is no commune in force on the day asked; ``reason`` says why, for a partner."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Units:
    """Communes with their dates, and what each old commune became in 2025."""

    def __init__(self, communes: Iterable[_Commune], successors: Mapping[str, list[str]]) -> None:
        self._by_code: dict[str, list[_Commune]] = {}
        for c in communes:
            self._by_code.setdefault(c.code, []).append(c)
        self._successors = {k: sorted(set(v)) for k, v in successors.items()}

    @classmethod
    def from_rows(cls, records: Iterable[Mapping[str, str]]) -> Units:
        """From the seed file's rows (``province_code, district_code, commune_code, new_province_code,
        new_commune_codes`` with several new codes separated by ``;``)."""
        communes: dict[tuple[str, date | None], _Commune] = {}
        successors: dict[str, list[str]] = {}
        for r in records:
            code = r["commune_code"].strip()
            communes[(code, None)] = _Commune(
                code, r["district_code"].strip(), r["province_code"].strip(), None, REORGANISED
            )
            for new in (c.strip() for c in r["new_commune_codes"].split(";") if c.strip()):
                successors.setdefault(code, []).append(new)
                communes.setdefault(
                    (new, REORGANISED), _Commune(new, "", r["new_province_code"].strip(), REORGANISED, None)
                )
        return cls(communes.values(), successors)

    @classmethod
    def from_csv(cls, path: Path) -> Units:
        with path.open(encoding="utf-8", newline="") as f:
            return cls.from_rows(list(csv.DictReader(f)))

    def successors(self, code: str) -> list[str]:
        """What an old commune became on 2025-07-01 (several when it was split; empty if none)."""
        return list(self._successors.get(code, []))

    def commune_on(self, code: str, on: date) -> Place:
        """The commune ``code`` as it was on ``on``, or :class:`UnitProblem` (unknown, or not in force that day)."""
        rows = self._by_code.get(code, [])
        for row in rows:
            if row.in_force(on):
                return Place(row.code, row.district_code, row.province_code)
        if not rows:
            return self._unknown(code)
        became = self.successors(code)
        if any(r.valid_to is not None and r.valid_to <= on for r in rows):
            hint = f"; it became {', '.join(became)}" if became else ""
            raise UnitProblem(
                code, f"commune {code} was abolished on {REORGANISED.isoformat()} (the 2025 reorganisation){hint}"
            )
        raise UnitProblem(code, f"commune {code} did not exist yet on {on.isoformat()}")

    def _unknown(self, code: str) -> Place:
        shown = code if len(code) <= 20 else code[:20] + "…"
        raise UnitProblem(code, f"unknown commune {shown!r}: not a commune code of the administrative units")


@cache
def seed_units() -> Units:
    """The units of the repository's seed file, read once per process."""
    return Units.from_csv(_seed_path())


def place_for_write(
    principal: Principal, commune_code: str, on: date, *, field: str = "body.commune_code", units: Units | None = None
) -> Place:
    """The place of a record written in ``commune_code`` on ``on`` (normally ``common.clock.today()``).

    422 ``validation-failed`` naming ``field`` when the code is no commune in force that day; 403 when the commune
    is outside the client's areas. The areas are checked against the commune and the district and province derived
    here, never against codes the client sent.
    """
    try:
        place = (units or seed_units()).commune_on(commune_code, on)
    except UnitProblem as exc:
        raise ValidationFailed([{"field": field, "reason": exc.reason}]) from None
    if not principal.may_see_area(place.commune_code, place.district_code, place.province_code):
        hint = ""
        if not place.district_code:
            hint = (
                f"; it is a commune of the 2025 units (province {place.province_code}, no district): the "
                "department can give this client its 2025 areas"
            )
        raise Forbidden(f"commune {commune_code} is outside the areas of this client{hint}")
    return place


_DERIVED = (
    "not accepted: the district and the province are derived from commune_code (the administrative units "
    "in force); send commune_code only"
)


class CommuneOnly(BaseModel):
    """A request body that places a record: ``commune_code`` only. ``district_code`` or ``province_code`` sent
    anyway (the old shape) is refused with 422 naming the field, so a mismatch can never pass silently."""

    commune_code: str = Field(pattern=COMMUNE_CODE, description="A commune in force today (5-digit code)")
    district_code: SkipJsonSchema[None] = None
    province_code: SkipJsonSchema[None] = None

    @field_validator("district_code", "province_code", mode="before")
    @classmethod
    def _derived(cls, value: object) -> None:
        raise ValueError(_DERIVED)
