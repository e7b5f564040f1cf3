"""longevity gifts: one per person and year, cash paid as a one-off payment or everything given in kind; the
longevity programme's gift amounts as effective-dated parameters (seeded at the national minima)

Revision ID: payments_0010
Revises: payments_0009
Create Date: 2026-12-04 00:00:00
"""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "payments_0010"
down_revision = "payments_0009"
branch_labels = None
depends_on = None

BASIS = "Luật Người cao tuổi 2009 Điều 21; Thông tư 96/2018/TT-BTC (mức tối thiểu)"


def upgrade() -> None:
    op.create_table(
        "longevity_gifts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("age", sa.Integer(), nullable=False),
        sa.Column("recipient_name", sa.Text(), nullable=False),
        sa.Column("national_id", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("commune_code", sa.Text(), nullable=False),
        sa.Column("district_code", sa.Text(), nullable=False),
        sa.Column("province_code", sa.Text(), nullable=False),
        sa.Column("gift_date", sa.Date(), nullable=False),
        sa.Column("delivery", sa.Text(), nullable=False),
        sa.Column("cash", sa.BigInteger(), nullable=False),
        sa.Column("in_kind_value", sa.BigInteger(), nullable=True),
        sa.Column("one_off_payment_id", sa.UUID(), nullable=True),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("age IN (90, 100)", name=op.f("ck_longevity_gifts_age_known")),
        sa.CheckConstraint("delivery IN ('post_office', 'in_kind')", name=op.f("ck_longevity_gifts_delivery_known")),
        sa.CheckConstraint(
            "cash >= 0 AND (in_kind_value IS NULL OR in_kind_value >= 0)",
            name=op.f("ck_longevity_gifts_amounts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["one_off_payment_id"],
            ["payments.one_off_payments.id"],
            name=op.f("fk_longevity_gifts_one_off_payment_id_one_off_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_longevity_gifts")),
        sa.UniqueConstraint("person_id", "year", name=op.f("uq_longevity_gifts_person_id_year")),
        schema="payments",
    )
    op.create_index(
        "ix_longevity_gifts_year", "longevity_gifts", ["year", "commune_code", "id"], unique=False, schema="payments"
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
                "programme": "longevity",
                "name": name,
                "valid_from": date(2018, 12, 1),
                "value": Decimal(value),
                "legal_basis": BASIS,
                "recorded_by": "migration",
            }
            for name, value in (("gift_90_cash", 500_000), ("gift_90_in_kind", 150_000), ("gift_100_cash", 700_000))
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM payments.programme_parameters WHERE programme = 'longevity' AND name LIKE 'gift_%'")
    op.drop_index("ix_longevity_gifts_year", table_name="longevity_gifts", schema="payments")
    op.drop_table("longevity_gifts", schema="payments")
