"""emergency relief: an officer's decision approved by another client, cash paid as a one-off payment, food
relief recorded as rice in kind; the emergency programme's minima as effective-dated parameters

Revision ID: payments_0011
Revises: payments_0010
Create Date: 2026-12-04 00:10:00
"""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "payments_0011"
down_revision = "payments_0010"
branch_labels = None
depends_on = None

DECREE = "Nghị định 20/2021/NĐ-CP Điều 11-15"
MINIMA = [  # name, from, value, legal basis
    ("min_funeral", date(2021, 7, 1), 18_000_000, DECREE + " (50 × mức chuẩn 360.000)"),
    ("min_funeral", date(2024, 7, 1), 25_000_000, DECREE + "; Nghị định 76/2024/NĐ-CP (50 × mức chuẩn 500.000)"),
    ("min_injury", date(2021, 7, 1), 3_600_000, DECREE + " (10 × mức chuẩn 360.000)"),
    ("min_injury", date(2024, 7, 1), 5_000_000, DECREE + "; Nghị định 76/2024/NĐ-CP (10 × mức chuẩn 500.000)"),
    ("min_house_destroyed", date(2021, 7, 1), 40_000_000, DECREE),
    ("min_relocation", date(2021, 7, 1), 30_000_000, DECREE),
    ("min_house_damaged", date(2021, 7, 1), 20_000_000, DECREE),
    ("rice_kg_per_person_month", date(2021, 7, 1), 15, DECREE),
]


def upgrade() -> None:
    op.create_table(
        "emergency_reliefs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=True),
        sa.Column("household_id", sa.UUID(), nullable=True),
        sa.Column("recipient_name", sa.Text(), nullable=False),
        sa.Column("national_id", sa.Text(), nullable=True),
        sa.Column("commune_code", sa.Text(), nullable=False),
        sa.Column("district_code", sa.Text(), nullable=False),
        sa.Column("province_code", sa.Text(), nullable=False),
        sa.Column("disaster", sa.Text(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("rice_kg", sa.Integer(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=True),
        sa.Column("months", sa.Integer(), nullable=True),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("one_off_payment_id", sa.UUID(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('funeral', 'injury', 'house_destroyed', 'house_damaged', 'relocation', 'food')",
            name=op.f("ck_emergency_reliefs_kind_known"),
        ),
        sa.CheckConstraint("status IN ('decided', 'approved')", name=op.f("ck_emergency_reliefs_status_known")),
        sa.CheckConstraint("amount >= 0 AND rice_kg >= 0", name=op.f("ck_emergency_reliefs_amounts_not_negative")),
        sa.ForeignKeyConstraint(
            ["one_off_payment_id"],
            ["payments.one_off_payments.id"],
            name=op.f("fk_emergency_reliefs_one_off_payment_id_one_off_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_reliefs")),
        schema="payments",
    )
    op.create_index(
        "ix_emergency_reliefs_decided",
        "emergency_reliefs",
        ["decided_on", "commune_code", "id"],
        unique=False,
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
    op.bulk_insert(
        parameters,
        [
            {
                "programme": "emergency",
                "name": name,
                "valid_from": valid_from,
                "value": Decimal(value),
                "legal_basis": basis,
                "recorded_by": "migration",
            }
            for name, valid_from, value, basis in MINIMA
        ],
    )


def downgrade() -> None:
    op.execute(
        "DELETE FROM payments.programme_parameters WHERE programme = 'emergency' "
        "AND (name LIKE 'min_%' OR name = 'rice_kg_per_person_month')"
    )
    op.drop_index("ix_emergency_reliefs_decided", table_name="emergency_reliefs", schema="payments")
    op.drop_table("emergency_reliefs", schema="payments")
