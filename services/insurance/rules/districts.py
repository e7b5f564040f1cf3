"""Which old district a card counts under in the contributions report (the registry's 2025 mapping, rules.md §8).

Districts were abolished on 2025-07-01. A card whose person was recorded before then carries the old district; one
recorded after carries a new commune and no district. The new commune is mapped back to the old district(s) its old
communes belonged to (``seed/tra_vinh_admin_units.csv``, the data the registry's ``unit_mappings`` are seeded from,
read through :mod:`common.territory`). Three new communes were formed from communes of two old districts (29254 and
29398: 842 and 847; 29530: 848 and 850); a record made there after the merger cannot say which side its person lives
on, so it is reported under both codes joined by ``+`` (``842+847``), never split or guessed.

Pure: the mapping is passed in.
"""

from __future__ import annotations

from common.territory import UnitMap

JOIN = "+"


def old_district(commune_code: str, district_code: str, units: UnitMap) -> str:
    """The old district code(s) of a record: the recorded district when there is one; else the old district(s) of
    the new commune's old communes (``+``-joined, sorted); '' for a commune the mapping does not know."""
    if district_code:
        return district_code
    olds = units.old_of.get(commune_code)
    if not olds:
        return ""
    return JOIN.join(sorted({units.district_of[o] for o in olds}))


def district_name(code: str, units: UnitMap) -> str:
    """The old name(s) of :func:`old_district`'s answer ('' when unknown)."""
    return " + ".join(units.name(c) for c in code.split(JOIN) if c) if code else ""
