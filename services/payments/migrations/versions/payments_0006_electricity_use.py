"""electricity support for social-policy households: officers' low-use declarations

Revision ID: payments_0006
Revises: payments_0005
Create Date: 2026-12-05 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "payments_0006"
down_revision = "payments_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "electricity_use",
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("low_use", sa.Boolean(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("commune_code", sa.Text(), nullable=False),
        sa.Column("district_code", sa.Text(), nullable=False),
        sa.Column("province_code", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("household_id", "valid_from", name=op.f("pk_electricity_use")),
        schema="payments",
    )
    op.execute(
        "UPDATE payments.programmes SET name = 'Hỗ trợ tiền điện hộ nghèo, hộ chính sách xã hội "
        "(Decision 28/2014/QĐ-TTg)' WHERE code = 'electricity'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE payments.programmes SET name = 'Hỗ trợ tiền điện hộ nghèo (Decision 28/2014/QĐ-TTg)' "
        "WHERE code = 'electricity'"
    )
    op.drop_table("electricity_use", schema="payments")
