"""recorded groups (HS, SV) and the cards' person lookup

Revision ID: insurance_0006
Revises: insurance_0005
Create Date: 2026-12-04 02:10:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "insurance_0006"
down_revision = "insurance_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recorded_groups",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("person_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("group_code", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("withdrawn_by", sa.Text(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdraw_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recorded_groups")),
        schema="insurance",
    )
    op.create_index(
        op.f("ix_recorded_groups_person_id"), "recorded_groups", ["person_id"], unique=False, schema="insurance"
    )
    op.create_index(
        "uq_recorded_groups_live",
        "recorded_groups",
        ["person_id", "group_code", "valid_from"],
        unique=True,
        schema="insurance",
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )
    # The coverage check finds a person's card valid on a day: without this, every call scanned all cards.
    op.create_index(
        "ix_cards_person_valid_from", "cards", ["person_id", "valid_from"], unique=False, schema="insurance"
    )


def downgrade() -> None:
    op.drop_index("ix_cards_person_valid_from", table_name="cards", schema="insurance")
    op.drop_index(
        "uq_recorded_groups_live",
        table_name="recorded_groups",
        schema="insurance",
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )
    op.drop_index(op.f("ix_recorded_groups_person_id"), table_name="recorded_groups", schema="insurance")
    op.drop_table("recorded_groups", schema="insurance")
