"""entitlement schedules

Revision ID: registry_0011
Revises: registry_0010
Create Date: 2026-12-01 04:30:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "registry_0011"
down_revision = "registry_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entitlement_schedules",
        sa.Column("beneficiary_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["registry.beneficiaries.id"],
            name=op.f("fk_entitlement_schedules_beneficiary_id_beneficiaries"),
        ),
        sa.PrimaryKeyConstraint("beneficiary_id", name=op.f("pk_entitlement_schedules")),
        schema="registry",
    )


def downgrade() -> None:
    op.drop_table("entitlement_schedules", schema="registry")
