"""TE proposals from child protection: children under 6 without a card, to enrol

Revision ID: insurance_0005
Revises: insurance_0004
Create Date: 2026-12-04 02:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "insurance_0005"
down_revision = "insurance_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "te_proposals",
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("commune_code", sa.Text(), nullable=False),
        sa.Column("district_code", sa.Text(), nullable=False),
        sa.Column("province_code", sa.Text(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("proposals", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_te_proposals")),
        schema="insurance",
    )
    op.create_index(
        "ix_te_proposals_area",
        "te_proposals",
        ["province_code", "district_code", "commune_code"],
        unique=False,
        schema="insurance",
    )


def downgrade() -> None:
    op.drop_index("ix_te_proposals_area", table_name="te_proposals", schema="insurance")
    op.drop_table("te_proposals", schema="insurance")
