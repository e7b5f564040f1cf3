"""reference data: Trà Vinh administrative units, the 2025 mapping, policy parameters

Revision ID: registry_0004
Revises: registry_0003
Create Date: 2026-11-29 12:00:00

Hand-written data migration.

Administrative units come from ``seed/tra_vinh_admin_units.csv`` (repo root, found from this file), read
when the migration runs: that file is the repo's seed data, not services code.

* Province 84 "Tỉnh Trà Vinh", its 9 districts (parent 84) and 104 communes (parent = district, ``kind``
  from ``commune_type``). ``valid_from`` 2008-01-01 is an **assumption** (the units existed long before the
  first record the registry can hold; the exact decision dates are not in the file). ``valid_to`` is
  2025-07-01 for all of them: the 2025 reorganisation abolished the districts and every old commune.
* Province 86 "Tỉnh Vĩnh Long" (valid from 2025-07-01) and each distinct new commune
  (``new_commune_codes`` / ``new_commune_names``, split on ``;``), level commune, no parent (the district
  level no longer exists), province 86, valid from 2025-07-01.
* **Reused codes.** The GSO reuses the code of one of the merged communes for the new commune (in this
  file every one of the 41 new codes is also an old code, e.g. 29242 "Phường 3" → 29242 "Phường Trà
  Vinh"). ``admin_units.code`` is the primary key, so such a new unit cannot be a row of its own. Choice:
  the row keeps the **old** unit (old name, district parent, province 84, valid_to 2025-07-01), because
  records keep the code they were made with and pre-2025 reports need the old hierarchy; the new unit is
  then known through ``unit_mappings`` (``new_code``, ``new_name``, ``new_province_code``), which the units
  API shows as the code's successors/predecessors. New codes that are not old codes get their own row
  (none in the current file, but the migration handles them).
* One name per new code: the first spelling in the file wins (the file writes 29254 both
  "Phường Nguyệt Hoá" and "Phường Nguyệt Hóa").
* ``unit_mappings``: each old commune → each of its new codes, effective 2025-07-01.

Policy parameters (standard levels, category rules) are a **frozen copy** of the seed values of
``services.registry.rules.parameters`` (DEFAULT_STANDARD_LEVELS / DEFAULT_CATEGORY_RULES) at the time of
writing; a test (``tests/services/registry/test_parameters.py``) checks the loaded tables still equal those
defaults. A category rule is stored as JSON in ``rule`` (coefficients as strings, exact decimals).

Downgrade deletes the seeded rows: parameters recorded by "seed", mappings from seeded units, seeded units.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "registry_0004"
down_revision = "registry_0003"
branch_labels = None
depends_on = None

SCHEMA = "registry"
OLD_FROM = date(2008, 1, 1)  # assumption, see the docstring
REORGANISED = date(2025, 7, 1)
OLD_PROVINCE, OLD_PROVINCE_NAME = "84", "Tỉnh Trà Vinh"
NEW_PROVINCE, NEW_PROVINCE_NAME = "86", "Tỉnh Vĩnh Long"
SEED_FILE = Path("seed") / "tra_vinh_admin_units.csv"
RECORDED_BY = "seed"

admin_units = sa.table(
    "admin_units",
    sa.column("code", sa.Text),
    sa.column("name", sa.Text),
    sa.column("level", sa.Text),
    sa.column("kind", sa.Text),
    sa.column("parent_code", sa.Text),
    sa.column("province_code", sa.Text),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
    schema=SCHEMA,
)
unit_mappings = sa.table(
    "unit_mappings",
    sa.column("old_code", sa.Text),
    sa.column("new_code", sa.Text),
    sa.column("new_name", sa.Text),
    sa.column("new_province_code", sa.Text),
    sa.column("effective_from", sa.Date),
    schema=SCHEMA,
)
standard_levels = sa.table(
    "standard_levels",
    sa.column("valid_from", sa.Date),
    sa.column("amount", sa.BigInteger),
    sa.column("legal_basis", sa.Text),
    sa.column("recorded_by", sa.Text),
    schema=SCHEMA,
)
category_rules = sa.table(
    "category_rules",
    sa.column("code", sa.Text),
    sa.column("valid_from", sa.Date),
    sa.column("rule", postgresql.JSONB),
    sa.column("legal_basis", sa.Text),
    sa.column("recorded_by", sa.Text),
    schema=SCHEMA,
)

# --- frozen policy parameters (docs/rules.md §2; copy of rules/parameters.py DEFAULT_* at registry_0004) ------

STANDARD_LEVELS: list[tuple[date, int, str]] = [
    (date(2014, 1, 1), 270_000, "Decree 136/2013/NĐ-CP"),
    (date(2021, 7, 1), 360_000, "Decree 20/2021/NĐ-CP"),
    (date(2024, 7, 1), 500_000, "Decree 76/2024/NĐ-CP"),
    # Signed after July 2026 and applied retroactively: the arrears case.
    (date(2026, 7, 1), 540_000, "Decree 335/2026 (verify)"),
]

_SINCE_2014, _SINCE_2021 = date(2014, 1, 1), date(2021, 7, 1)
_CARRIED = " (same coefficient since Decree 136/2013/NĐ-CP)"
_WITH_54 = ["5.5a", "5.5b", "5.5c", "5.5d", "5.6", "5.8"]


def _band(
    coefficient: str, min_age: int | None = None, below_age: int | None = None, disability_level: str | None = None
) -> dict[str, Any]:
    return {
        "coefficient": coefficient,
        "min_age": min_age,
        "below_age": below_age,
        "disability_level": disability_level,
    }


def _rule(
    code: str, valid_from: date, name: str, bands: list[dict[str, Any]], legal_basis: str, **kw: Any
) -> dict[str, Any]:
    rule = {
        "name": name,
        "bands": bands,
        "min_age": None,
        "last_birthday": None,
        "starts_at_birthday": None,
        "starts_at_certificate": False,
        "per_child": False,
        "requires_studying": False,
        "continues_as": None,
        "cumulative_with": [],
        "verify": False,
    }
    unknown = set(kw) - set(rule)
    assert not unknown, unknown
    rule.update(kw)
    return {
        "code": code,
        "valid_from": valid_from,
        "rule": rule,
        "legal_basis": legal_basis,
        "recorded_by": RECORDED_BY,
    }


CATEGORY_RULES: list[dict[str, Any]] = [
    _rule(
        "5.1",
        _SINCE_2014,
        "child with no source of support",
        [_band("2.5", below_age=4), _band("1.5", min_age=4)],
        "Decree 20/2021/NĐ-CP Art 5.1, 6.1" + _CARRIED,
        last_birthday=16,
        continues_as="5.2",
    ),
    _rule(
        "5.2",
        _SINCE_2014,
        "5.1 person aged 16-22 still studying",
        [_band("1.5")],
        "Decree 20/2021/NĐ-CP Art 5.2, 6.1" + _CARRIED,
        min_age=16,
        last_birthday=22,
        requires_studying=True,
    ),
    _rule(
        "5.3",
        _SINCE_2014,
        "child with HIV in a poor household",
        [_band("2.5", below_age=4), _band("2.0", min_age=4)],
        "Decree 20/2021/NĐ-CP Art 5.3, 6.1" + _CARRIED,
        last_birthday=16,
    ),
    _rule(
        "5.4",
        _SINCE_2014,
        "single parent of a poor or near-poor household, per child",
        [_band("1.0")],
        "Decree 20/2021/NĐ-CP Art 5.4, 6.1, 6.2" + _CARRIED,
        per_child=True,
        cumulative_with=_WITH_54,
    ),
    _rule(
        "5.5a",
        _SINCE_2014,
        "elderly of a poor household with no one obliged to support them",
        [_band("1.5", min_age=60, below_age=80), _band("2.0", min_age=80)],
        "Decree 20/2021/NĐ-CP Art 5.5a, 6.1" + _CARRIED,
        min_age=60,
    ),
    _rule(
        "5.5b",
        _SINCE_2021,
        "elderly 75-79 of a poor/near-poor household in an extremely difficult ethnic-minority area",
        [_band("1.0")],
        "Decree 20/2021/NĐ-CP Art 5.5b, 6.1",
        min_age=75,
        last_birthday=80,
        starts_at_birthday=75,
    ),
    _rule(
        "5.5c",
        _SINCE_2014,
        "aged 80+ with no pension or monthly social-insurance benefit",
        [_band("1.0")],
        "Decree 20/2021/NĐ-CP Art 5.5c, 6.1" + _CARRIED,
        min_age=80,
        starts_at_birthday=80,
    ),
    _rule(
        "5.5d",
        _SINCE_2014,
        "poor elderly with no supporter, cared for by someone in the community",
        [_band("3.0")],
        "Decree 20/2021/NĐ-CP Art 5.5d, 6.1" + _CARRIED,
        min_age=60,
    ),
    _rule(
        "5.6",
        _SINCE_2014,
        "person with a severe or extremely severe disability",
        [
            _band("2.5", below_age=16, disability_level="extremely_severe"),
            _band("2.0", min_age=16, below_age=60, disability_level="extremely_severe"),
            _band("2.5", min_age=60, disability_level="extremely_severe"),
            _band("2.0", below_age=16, disability_level="severe"),
            _band("1.5", min_age=16, below_age=60, disability_level="severe"),
            _band("2.0", min_age=60, disability_level="severe"),
        ],
        "Decree 20/2021/NĐ-CP Art 5.6, 6.1 (same coefficients since Decree 28/2012/NĐ-CP)",
        starts_at_certificate=True,
    ),
    _rule(
        "5.7",
        _SINCE_2021,
        "child under 3 of a poor/near-poor household in an extremely difficult ethnic-minority area",
        [_band("1.5")],
        "Decree 20/2021/NĐ-CP Art 5.7, 6.1",
        last_birthday=3,
    ),
    _rule(
        "5.8",
        _SINCE_2014,
        "person with HIV of a poor household without stable income",
        [_band("1.5")],
        "Decree 20/2021/NĐ-CP Art 5.8, 6.1" + _CARRIED,
    ),
    _rule(
        "art25",
        _SINCE_2014,
        "resident of a social-assistance facility (instead of any other category)",
        [_band("5.0", below_age=4), _band("4.0", min_age=4)],
        "Decree 20/2021/NĐ-CP Art 25.1" + _CARRIED,
    ),
]


# --- administrative units from the seed file -----------------------------------------------------------


def _seed_path() -> Path:
    for parent in Path(__file__).resolve().parents:
        if (parent / SEED_FILE).is_file():
            return parent / SEED_FILE
    raise FileNotFoundError(f"{SEED_FILE} not found above {Path(__file__).resolve().parent}")


def unit_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(admin_units rows, unit_mappings rows)`` built from the seed file (see the module docstring)."""
    with _seed_path().open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))

    def unit(
        code: str,
        name: str,
        level: str,
        kind: str,
        parent: str | None,
        province: str,
        valid_from: date,
        valid_to: date | None,
    ) -> dict[str, Any]:
        return {
            "code": code,
            "name": name,
            "level": level,
            "kind": kind,
            "parent_code": parent,
            "province_code": province,
            "valid_from": valid_from,
            "valid_to": valid_to,
        }

    units: dict[str, dict[str, Any]] = {
        OLD_PROVINCE: unit(
            OLD_PROVINCE, OLD_PROVINCE_NAME, "province", "Tỉnh", None, OLD_PROVINCE, OLD_FROM, REORGANISED
        ),
    }
    new_units: dict[str, tuple[str, str]] = {}  # code -> (name, province): first spelling wins
    mappings: list[dict[str, Any]] = []
    for r in records:
        units.setdefault(
            r["district_code"],
            unit(
                r["district_code"],
                r["district_name"],
                "district",
                r["district_type"],
                OLD_PROVINCE,
                OLD_PROVINCE,
                OLD_FROM,
                REORGANISED,
            ),
        )
        units[r["commune_code"]] = unit(
            r["commune_code"],
            r["commune_name"],
            "commune",
            r["commune_type"],
            r["district_code"],
            OLD_PROVINCE,
            OLD_FROM,
            REORGANISED,
        )
        codes, names = r["new_commune_codes"].split(";"), r["new_commune_names"].split(";")
        if len(codes) != len(names):
            raise ValueError(f"commune {r['commune_code']}: {len(codes)} new codes but {len(names)} names")
        for code, name in zip(codes, names, strict=True):
            new_units.setdefault(code.strip(), (name.strip(), r["new_province_code"]))
        mappings.extend(
            {
                "old_code": r["commune_code"],
                "new_code": code.strip(),
                "new_name": new_units[code.strip()][0],
                "new_province_code": r["new_province_code"],
                "effective_from": REORGANISED,
            }
            for code in codes
        )

    units[NEW_PROVINCE] = unit(
        NEW_PROVINCE, NEW_PROVINCE_NAME, "province", "Tỉnh", None, NEW_PROVINCE, REORGANISED, None
    )
    for code, (name, province) in new_units.items():
        if code not in units:  # a reused old code keeps its old row (see the docstring)
            units[code] = unit(code, name, "commune", name.split(" ", 1)[0], None, province, REORGANISED, None)
    # Parents before children (the parent_code foreign key).
    order = {"province": 0, "district": 1, "commune": 2}
    return sorted(units.values(), key=lambda u: (order[u["level"]], u["code"])), mappings


def upgrade() -> None:
    units, mappings = unit_rows()
    op.bulk_insert(admin_units, units)
    op.bulk_insert(unit_mappings, mappings)
    op.bulk_insert(
        standard_levels,
        [
            {"valid_from": valid_from, "amount": amount, "legal_basis": basis, "recorded_by": RECORDED_BY}
            for valid_from, amount, basis in STANDARD_LEVELS
        ],
    )
    op.bulk_insert(category_rules, CATEGORY_RULES)


def downgrade() -> None:
    units, mappings = unit_rows()
    op.execute(category_rules.delete().where(category_rules.c.recorded_by == RECORDED_BY))
    op.execute(standard_levels.delete().where(standard_levels.c.recorded_by == RECORDED_BY))
    seeded = [u["code"] for u in units]
    op.execute(unit_mappings.delete().where(unit_mappings.c.old_code.in_(seeded)))
    # Children before parents.
    for level in ("commune", "district", "province"):
        codes = [u["code"] for u in units if u["level"] == level]
        op.execute(admin_units.delete().where(admin_units.c.code.in_(codes)))
