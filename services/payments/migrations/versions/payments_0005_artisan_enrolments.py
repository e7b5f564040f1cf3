"""artisans' allowance as a monthly programme: artisan enrolments

Revision ID: payments_0005
Revises: payments_0004
Create Date: 2026-12-05 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "payments_0005"
down_revision = "payments_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "artisan_enrolments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("recipient_name", sa.Text(), nullable=False),
        sa.Column("national_id", sa.Text(), nullable=False),
        sa.Column("commune_code", sa.Text(), nullable=False),
        sa.Column("district_code", sa.Text(), nullable=False),
        sa.Column("province_code", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("from_month", sa.Date(), nullable=False),
        sa.Column("to_month", sa.Date(), nullable=True),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.Text(), nullable=True),
        sa.Column("end_basis", sa.Text(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_artisan_enrolments_amount_positive")),
        sa.CheckConstraint(
            "to_month IS NULL OR to_month >= from_month", name=op.f("ck_artisan_enrolments_months_ordered")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artisan_enrolments")),
        schema="payments",
    )
    op.create_index(
        "ix_artisan_enrolments_area",
        "artisan_enrolments",
        ["province_code", "district_code", "commune_code"],
        unique=False,
        schema="payments",
    )
    op.create_index(
        "ix_artisan_enrolments_page", "artisan_enrolments", ["commune_code", "id"], unique=False, schema="payments"
    )
    op.create_index(
        op.f("ix_artisan_enrolments_person_id"), "artisan_enrolments", ["person_id"], unique=False, schema="payments"
    )
    # Artisans were paid as one-off payments until now; from here their lines come from enrolments. A one-off
    # artisans payment still waiting would never be paid: refuse to migrate rather than lose it silently.
    op.execute("""
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM payments.one_off_payments WHERE programme = 'artisans' AND payroll_id IS NULL)
            THEN RAISE EXCEPTION 'pending one-off artisans payments: pay them (approve an artisans payroll) first';
            END IF;
        END $$
    """)
    op.execute("UPDATE payments.programmes SET kind = 'artisans' WHERE code = 'artisans'")


def downgrade() -> None:
    op.execute("UPDATE payments.programmes SET kind = 'one_off' WHERE code = 'artisans'")
    op.drop_index(op.f("ix_artisan_enrolments_person_id"), table_name="artisan_enrolments", schema="payments")
    op.drop_index("ix_artisan_enrolments_page", table_name="artisan_enrolments", schema="payments")
    op.drop_index("ix_artisan_enrolments_area", table_name="artisan_enrolments", schema="payments")
    op.drop_table("artisan_enrolments", schema="payments")
