"""foster care: the foster_care programme (Decree 20/2021 Art 20) and its placements from child protection

Revision ID: payments_0013
Revises: payments_0012
Create Date: 2026-12-04 02:30:00

The ``foster_care`` programme (kind ``foster``, monthly) pays the foster carer of a 5.1 child the standard level in
force × 2.5 (child under 4) or × 1.5 (from 4). Its parameters are the standard level history (the same values
payments_0009 used) and ``max_amount`` = 2.5 × the level (the highest monthly amount).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "payments_0013"
down_revision = "payments_0012"
branch_labels = None
depends_on = None

CODE = "foster_care"
STANDARD_LEVELS = [
    (date(2014, 1, 1), 270_000, "Decree 136/2013/NĐ-CP"),
    (date(2021, 7, 1), 360_000, "Decree 20/2021/NĐ-CP"),
    (date(2024, 7, 1), 500_000, "Decree 76/2024/NĐ-CP"),
    (date(2026, 7, 1), 540_000, "Decree 335/2026 (verify)"),
]

programmes = sa.table(
    "programmes",
    sa.column("code", sa.Text),
    sa.column("name", sa.Text),
    sa.column("kind", sa.Text),
    sa.column("frequency", sa.Text),
    schema="payments",
)
parameters = sa.table(
    "programme_parameters",
    sa.column("programme", sa.Text),
    sa.column("name", sa.Text),
    sa.column("valid_from", sa.Date),
    sa.column("value", sa.Numeric),
    sa.column("legal_basis", sa.Text),
    sa.column("recorded_by", sa.Text),
    schema="payments",
)


def upgrade() -> None:
    op.create_table(
        "foster_placements",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("child_id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=True),
        sa.Column("case_id", sa.UUID(), nullable=True),
        sa.Column("case_number", sa.Text(), nullable=True),
        sa.Column("foster_allowance", sa.Boolean(), nullable=False),
        sa.Column("child_birth_date", sa.Date(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("first_month", sa.Date(), nullable=True),
        sa.Column("last_month", sa.Date(), nullable=True),
        sa.Column("rate_change_month", sa.Date(), nullable=True),
        sa.Column("recipient_name", sa.Text(), nullable=False),
        sa.Column("commune_code", sa.Text(), nullable=False),
        sa.Column("district_code", sa.Text(), nullable=False),
        sa.Column("province_code", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_foster_placements")),
        schema="payments",
    )
    op.create_index(
        "ix_foster_placements_area",
        "foster_placements",
        ["province_code", "district_code", "commune_code"],
        unique=False,
        schema="payments",
    )
    op.bulk_insert(
        programmes,
        [
            {
                "code": CODE,
                "name": "Hỗ trợ gia đình nhận chăm sóc thay thế trẻ em (Decree 20/2021/NĐ-CP Art 20)",
                "kind": "foster",
                "frequency": "monthly",
            }
        ],
    )
    op.bulk_insert(
        parameters,
        [
            *[
                {
                    "programme": CODE,
                    "name": "standard_level",
                    "valid_from": d,
                    "value": Decimal(level),
                    "legal_basis": basis,
                    "recorded_by": "migration",
                }
                for d, level, basis in STANDARD_LEVELS
            ],
            *[
                {
                    "programme": CODE,
                    "name": "max_amount",
                    "valid_from": d,
                    "value": Decimal(level * 5 // 2),
                    "legal_basis": f"2.5 × standard level {level:,} VND ({basis}; Decree 20/2021/NĐ-CP Art 20)",
                    "recorded_by": "migration",
                }
                for d, level, basis in STANDARD_LEVELS
            ],
        ],
    )


def downgrade() -> None:
    op.execute(parameters.delete().where(parameters.c.programme == CODE))
    op.execute(programmes.delete().where(programmes.c.code == CODE))
    op.drop_index("ix_foster_placements_area", table_name="foster_placements", schema="payments")
    op.drop_table("foster_placements", schema="payments")
