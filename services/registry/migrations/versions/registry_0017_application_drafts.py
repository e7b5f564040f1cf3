"""application drafts: child protection's referrals for the monthly allowance (5.1, 5.3), case number as source

Revision ID: registry_0017
Revises: registry_0016
Create Date: 2026-12-04 03:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "registry_0017"
down_revision = "registry_0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "application_drafts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("case_number", sa.Text(), nullable=False),
        sa.Column("referred_by", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("status", sa.Text(), server_default="draft", nullable=False),
        sa.Column("application_id", sa.UUID(), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismiss_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'dismissed')", name=op.f("ck_application_drafts_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["registry.applications.id"],
            name=op.f("fk_application_drafts_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["registry.persons.id"], name=op.f("fk_application_drafts_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_drafts")),
        sa.UniqueConstraint("case_id", "person_id", "category", name="uq_application_drafts_referral"),
        schema="registry",
    )
    op.create_index(
        "ix_application_drafts_open",
        "application_drafts",
        ["received_at"],
        unique=False,
        schema="registry",
        postgresql_where=sa.text("status = 'draft'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_application_drafts_open",
        table_name="application_drafts",
        schema="registry",
        postgresql_where=sa.text("status = 'draft'"),
    )
    op.drop_table("application_drafts", schema="registry")
