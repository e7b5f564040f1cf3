"""units keyed by commune and province: a 2025 commune that reuses an old code gets its own row

Revision ID: child_protection_0006
Revises: child_protection_0005

Writes now check communes with ``common/units.py`` (the rule of every service: a commune in force today; a reused
code means the 2025 commune from 2025-07-01, province 86, no district). ``units`` stays the reports' reference for
names and old districts; keyed by (commune_code, province_code) it holds both meanings of a reused code, so a record
joins the unit it was made with. The rows of the 2025 communes whose code an old commune already used are added here
(child_protection_0004 kept only the old row).
"""

import csv
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "child_protection_0006"
down_revision = "child_protection_0005"
branch_labels = None
depends_on = None

SEED_FILE = Path("seed") / "tra_vinh_admin_units.csv"

units = sa.table(
    "units",
    sa.column("commune_code"),
    sa.column("name"),
    sa.column("district_code"),
    sa.column("province_code"),
    sa.column("old_district_codes"),
    schema="child_protection",
)


def _seed_path() -> Path:
    for parent in Path(__file__).resolve().parents:
        if (parent / SEED_FILE).is_file():
            return parent / SEED_FILE
    raise FileNotFoundError(f"{SEED_FILE} not found above {Path(__file__).resolve().parent}")


def reused_rows() -> list[dict[str, Any]]:
    """The 2025 communes whose code an old commune also had, with the old districts they came from."""
    with _seed_path().open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    old = {r["commune_code"] for r in records}
    new: dict[str, dict[str, Any]] = {}
    for r in records:
        for code, name in zip(r["new_commune_codes"].split(";"), r["new_commune_names"].split(";"), strict=True):
            row = new.setdefault(
                code.strip(),
                {
                    "commune_code": code.strip(),
                    "name": name.strip(),
                    "district_code": "",
                    "province_code": r["new_province_code"],
                    "old_district_codes": [],
                },
            )
            if r["district_code"] not in row["old_district_codes"]:
                row["old_district_codes"].append(r["district_code"])
    return [row for code, row in sorted(new.items()) if code in old]


def upgrade() -> None:
    op.drop_constraint("pk_units", "units", schema="child_protection", type_="primary")
    op.create_primary_key("pk_units", "units", ["commune_code", "province_code"], schema="child_protection")
    op.bulk_insert(units, reused_rows())


def downgrade() -> None:
    op.execute(
        "DELETE FROM child_protection.units u WHERE u.district_code = '' AND EXISTS ("
        "SELECT 1 FROM child_protection.units o WHERE o.commune_code = u.commune_code AND o.district_code <> '')"
    )
    op.drop_constraint("pk_units", "units", schema="child_protection", type_="primary")
    op.create_primary_key("pk_units", "units", ["commune_code"], schema="child_protection")
