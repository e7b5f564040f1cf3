"""bulk imports

Revision ID: registry_0009
Revises: registry_0008
Create Date: 2026-12-01 04:10:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = "registry_0009"
down_revision = "registry_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("problems", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("problems_total", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
        schema="registry",
    )
    op.create_index("ix_imports_created_by", "imports", ["created_by", "created_at"], unique=False, schema="registry")
    op.create_index(op.f("ix_imports_file_sha256"), "imports", ["file_sha256"], unique=False, schema="registry")


def downgrade() -> None:
    op.drop_index(op.f("ix_imports_file_sha256"), table_name="imports", schema="registry")
    op.drop_index("ix_imports_created_by", table_name="imports", schema="registry")
    op.drop_table("imports", schema="registry")
