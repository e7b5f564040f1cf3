"""person merges: a registry record merged into another

Revision ID: insurance_0007
Revises: insurance_0006
Create Date: 2026-12-04 12:50:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "insurance_0007"
down_revision = "insurance_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_merges",
        sa.Column("person_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("survivor_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_merges")),
        schema="insurance",
    )
    op.create_index(
        op.f("ix_person_merges_survivor_id"), "person_merges", ["survivor_id"], unique=False, schema="insurance"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_person_merges_survivor_id"), table_name="person_merges", schema="insurance")
    op.drop_table("person_merges", schema="insurance")
