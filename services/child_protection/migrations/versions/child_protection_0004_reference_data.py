"""reference data: circumstance groups (Law on Children Art 10.1) and administrative units

Revision ID: child_protection_0004
Revises: child_protection_0003

The groups are the fourteen of Law on Children 102/2016/QH13 Art 10.1 (points a–o; Decree 56/2017/NĐ-CP
Chapter II details them). Units are read from ``seed/tra_vinh_admin_units.csv`` (repo root, found from this
file) when the migration runs: each pre-2025 commune with its district and province (84), and each commune of
2025 (province 86, no district) with the old districts its communes came from — that is how records made with
either code are reported by old district.
"""

import csv
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "child_protection_0004"
down_revision = "child_protection_0003"
branch_labels = None
depends_on = None

SEED_FILE = Path("seed") / "tra_vinh_admin_units.csv"
BASIS = "Law on Children 102/2016/QH13 Art 10.1({}); Decree 56/2017/NĐ-CP"

GROUPS = [
    ("orphan", "a", "Trẻ em mồ côi cả cha và mẹ", "Orphaned of both parents"),
    ("abandoned", "b", "Trẻ em bị bỏ rơi", "Abandoned"),
    ("no_one_to_rely_on", "c", "Trẻ em không nơi nương tựa", "Without anyone to rely on"),
    ("disabled", "d", "Trẻ em khuyết tật", "Disabled"),
    ("hiv", "đ", "Trẻ em nhiễm HIV/AIDS", "Living with HIV/AIDS"),
    ("in_conflict_with_law", "e", "Trẻ em vi phạm pháp luật", "In conflict with the law"),
    ("drug_addicted", "g", "Trẻ em nghiện ma túy", "Drug-addicted"),
    (
        "dropped_out_to_work",
        "h",
        "Trẻ em phải bỏ học kiếm sống chưa hoàn thành phổ cập giáo dục trung học cơ sở",
        "Dropped out of school to earn a living before completing lower secondary education",
    ),
    (
        "harmed_by_violence",
        "i",
        "Trẻ em bị tổn hại nghiêm trọng về thể chất và tinh thần do bị bạo lực",
        "Seriously harmed physically or mentally by violence",
    ),
    ("exploited", "k", "Trẻ em bị bóc lột", "Exploited"),
    ("sexually_abused", "l", "Trẻ em bị xâm hại tình dục", "Sexually abused"),
    ("trafficked", "m", "Trẻ em bị mua bán", "Trafficked"),
    (
        "serious_illness_poor",
        "n",
        "Trẻ em mắc bệnh hiểm nghèo hoặc bệnh phải điều trị dài ngày thuộc hộ nghèo hoặc hộ cận nghèo",
        "With a dangerous or long-term illness, in a poor or near-poor household",
    ),
    (
        "migrant_refugee",
        "o",
        "Trẻ em di cư, trẻ em lánh nạn, tị nạn chưa xác định được cha mẹ hoặc không có người chăm sóc",
        "Migrant or refugee child whose parents are unknown or who has no carer",
    ),
]

groups = sa.table(
    "circumstance_groups",
    sa.column("code"),
    sa.column("ordinal"),
    sa.column("name_vi"),
    sa.column("name_en"),
    sa.column("legal_basis"),
    schema="child_protection",
)
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


def unit_rows() -> list[dict[str, Any]]:
    with _seed_path().open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    rows: dict[str, dict[str, Any]] = {}
    for r in records:
        rows[r["commune_code"]] = {
            "commune_code": r["commune_code"],
            "name": r["commune_name"],
            "district_code": r["district_code"],
            "province_code": r["province_code"],
            "old_district_codes": [r["district_code"]],
        }
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
    for code, row in new.items():
        rows.setdefault(code, row)  # a code reused by 2025 keeps its old row
    return sorted(rows.values(), key=lambda u: u["commune_code"])


def upgrade() -> None:
    op.bulk_insert(
        groups,
        [
            {"code": code, "ordinal": i + 1, "name_vi": vi, "name_en": en, "legal_basis": BASIS.format(point)}
            for i, (code, point, vi, en) in enumerate(GROUPS)
        ],
    )
    op.bulk_insert(units, unit_rows())


def downgrade() -> None:
    op.execute(units.delete())
    op.execute(groups.delete())
