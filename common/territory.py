"""Areas as territory: the same ground before and after the 2025 reorganisation.

On 2025-07-01 Trà Vinh (province 84, districts, 104 communes) became part of the new Vĩnh Long (province 86) with
no district level, and its communes were merged into 41 new ones. Records keep the codes they were made with, so a
record made before then carries ``84 / 8xx / old commune`` and one made after ``86 / (none) / new commune``. A
client limited to areas (the ``areas`` claim of its token) must see both kinds for the same ground: this module
turns a client's area codes into the set of codes, old and new, that covers that ground (its *territory*), which
:attr:`common.auth.Principal.limited_to` gives to every area check (``may_see_area``, ``common.db.in_areas``) and
the event hub to its filters.

The mapping is ``seed/tra_vinh_admin_units.csv`` (old commune → new province and new commune code(s), ``;``
between the codes of a split commune): correctable data, read once per process.

How each kind of code expands (the choice, and why):

* **old province 84** → every new commune the mapping places in it. Province 86 (the new, bigger province)
  covers all of 84, so **86** adds 84 (Bến Tre's and Vĩnh Long's records carry 86 anyway).
* **old district** → the new communes its communes became, **whole**, and so the old communes merged wholly into
  them from a neighbouring district too. A new commune that straddles two old districts has one pay point and one
  batch: a district office that did not get it would leave its own people unpaid. Three new communes straddle
  (29398 and 29254: 842/847; 29530: 848/850).
* **commune codes are never widened to other communes' people**:

  - a code **in force today** (a new commune; every one reuses the code of one of the communes merged into it)
    means today's commune: it covers the old communes that went **wholly** into it (their pre-2025 records). An
    old commune split between several new communes is covered only when the client has all of them: its
    pre-2025 records cannot say on which side their people live.
  - an old code **no longer in force** (merged into a commune with another code) means the old commune only: it
    covers a new commune only when that new commune lies wholly within the client's old communes (e.g. a client
    given both old communes of a merged pair). ``ansinh clients create/update`` warns about such codes.

  Consequence, documented for operators: a pre-2025 client limited to old commune 29242 (Phường 3) is read as
  today's 29242 (Phường Trà Vinh = old Phường 1 + Phường 3), because that is what the code designates now and
  the only code that commune's new records carry; the CLI says so when such a code is given.

Codes the mapping does not know (another province's) are kept as they are: they match records literally, as before.

Matching stays by code (``common.db.in_areas``: province, district or commune code in the set), so a new commune's
code also matches the pre-2025 records of the old commune whose code it reuses. That is right while the old commune
lies in the new one, which holds for every reused code of the seed file (a test checks it); a split commune whose
code was reused by one of its parts would be the exception.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SEED_FILE = Path("seed") / "tra_vinh_admin_units.csv"


@dataclass(frozen=True)
class UnitMap:
    """The 2025 mapping of one old province, as sets; build with :func:`unit_map` or :meth:`from_rows`."""

    old_province: str
    new_provinces: frozenset[str]
    districts: dict[str, frozenset[str]]
    """old district → its old communes"""
    district_of: dict[str, str]
    """old commune → its old district"""
    new_of: dict[str, frozenset[str]]
    """old commune → the new commune code(s) it became"""
    old_of: dict[str, frozenset[str]]
    """new commune → the old communes (wholly or in part) merged into it"""
    names: dict[str, str]
    """code → name: old units by their old names, new communes by their new names"""

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, str]]) -> UnitMap:
        districts: dict[str, set[str]] = {}
        district_of: dict[str, str] = {}
        new_of: dict[str, frozenset[str]] = {}
        old_of: dict[str, set[str]] = {}
        names: dict[str, str] = {}
        provinces: set[str] = set()
        new_provinces: set[str] = set()
        for r in rows:
            old, district = r["commune_code"].strip(), r["district_code"].strip()
            provinces.add(r["province_code"].strip())
            new_provinces.add(r["new_province_code"].strip())
            districts.setdefault(district, set()).add(old)
            district_of[old] = district
            names.setdefault(r["province_code"].strip(), r.get("province_name", "").strip())
            names.setdefault(district, r.get("district_name", "").strip())
            codes = [c.strip() for c in r["new_commune_codes"].split(";") if c.strip()]
            new_names = [n.strip() for n in r.get("new_commune_names", "").split(";")]
            new_of[old] = frozenset(codes)
            for i, code in enumerate(codes):
                old_of.setdefault(code, set()).add(old)
                if i < len(new_names) and new_names[i]:
                    names.setdefault(f"new:{code}", new_names[i])
            names.setdefault(f"old:{old}", r.get("commune_name", "").strip())
        if len(provinces) != 1:
            raise ValueError(f"the mapping must describe one old province, not {sorted(provinces)}")
        return cls(
            old_province=provinces.pop(),
            new_provinces=frozenset(new_provinces),
            districts={d: frozenset(c) for d, c in districts.items()},
            district_of=district_of,
            new_of=new_of,
            old_of={n: frozenset(o) for n, o in old_of.items()},
            names=names,
        )

    def in_force(self, code: str) -> bool:
        """A unit that exists today: a new province or a new commune (old districts and province do not)."""
        return code in self.new_provinces or code in self.old_of

    def known(self, code: str) -> bool:
        return (
            code == self.old_province
            or code in self.new_provinces
            or code in self.districts
            or code in self.new_of
            or code in self.old_of
        )

    def name(self, code: str) -> str:
        """Today's name of a code in force, else its old name ('' when unknown)."""
        return self.names.get(f"new:{code}") or self.names.get(f"old:{code}") or self.names.get(code, "")

    def territory(self, areas: Iterable[str]) -> frozenset[str]:
        """The codes, old and new, that cover the ground of ``areas`` (see the module docstring)."""
        given = {a.strip() for a in areas if a and a.strip()}
        out = set(given)
        new_cover: set[str] = set()  # new communes the client's ground holds whole
        old_cover: set[str] = set()  # old communes the client's ground holds whole
        for code in given:
            if code == self.old_province or code in self.new_provinces:
                out.add(self.old_province)
                new_cover |= self.old_of.keys()
                old_cover |= self.new_of.keys()
            elif code in self.districts:
                new_cover |= {n for c in self.districts[code] for n in self.new_of[c]}
                old_cover |= self.districts[code]
            elif code in self.old_of:  # a commune in force today
                new_cover.add(code)
            elif code in self.new_of:  # an old commune merged into another code
                old_cover.add(code)
        # Old communes wholly inside the new communes held, and new communes wholly inside the old ones held.
        old_cover |= {c for c, news in self.new_of.items() if news and news <= new_cover}
        new_cover |= {n for n, olds in self.old_of.items() if olds <= old_cover}
        return frozenset(out | new_cover | old_cover)

    def warnings(self, areas: Iterable[str]) -> list[str]:
        """What an operator should know about a client's areas: codes that match no unit in force today (with
        what they became), and codes in force that now cover more than the old commune of the same code."""
        out = []
        for code in sorted({a.strip() for a in areas if a and a.strip()}):
            if not self.known(code):
                out.append(
                    f"area {code} is not a unit of the 2025 mapping (province {self.old_province} and its "
                    f"successors): it matches only records that carry that very code"
                )
            elif code == self.old_province:
                out.append(
                    f"area {code} ({self.name(code)}) is not a unit in force today (province "
                    f"{', '.join(sorted(self.new_provinces))} since 2025-07-01); it still covers all of its "
                    f"ground, old and new records, but prefer the new commune codes: "
                    f"{' '.join(sorted(self.old_of))}"
                )
            elif code in self.districts:
                news = sorted({n for c in self.districts[code] for n in self.new_of[c]})
                out.append(
                    f"area {code} ({self.name(code)}) is a district, abolished on 2025-07-01: it matches no "
                    f"unit in force today; it covers its communes' new communes whole: {' '.join(news)}"
                )
            elif code in self.new_of and code not in self.old_of:
                news = sorted(self.new_of[code])
                out.append(
                    f"area {code} ({self.name(code)}) matches no unit in force today: it became "
                    f"{', '.join(f'{n} ({self.name(n)})' for n in news)}; the client sees only the old "
                    f"commune's records until it is given the new code"
                )
            elif code in self.old_of and self.old_of[code] - {code}:
                merged = ", ".join(
                    f"{o} ({self.names.get('old:' + o, '')})" for o in sorted(self.old_of[code] - {code})
                )
                out.append(
                    f"area {code} is today's {self.name(code)}, which since 2025-07-01 also covers "
                    f"{merged}: the client sees their records too"
                )
        return out


def _seed_path() -> Path:
    """The seed file above this module (a source tree, the image's /app) or in the working directory (an installed
    package run from the project's folder)."""
    for parent in (*Path(__file__).resolve().parents, Path.cwd()):
        if (parent / SEED_FILE).is_file():
            return parent / SEED_FILE
    raise FileNotFoundError(
        f"{SEED_FILE} not found above {Path(__file__).resolve().parent} nor in {Path.cwd()}: "
        "area checks need the 2025 mapping"
    )


@functools.cache
def unit_map() -> UnitMap:
    """The mapping from the seed file, read once per process."""
    with _seed_path().open(encoding="utf-8", newline="") as f:
        return UnitMap.from_rows(csv.DictReader(f))


@functools.lru_cache(maxsize=4096)
def territory(areas: tuple[str, ...]) -> tuple[str, ...]:
    """:meth:`UnitMap.territory` of the seed mapping, sorted; cached per distinct set of areas (tokens of one
    client share it)."""
    return tuple(sorted(unit_map().territory(areas)))


def warnings(areas: Iterable[str]) -> list[str]:
    return unit_map().warnings(areas)
