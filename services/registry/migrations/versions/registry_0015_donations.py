"""donations to facilities: donor, day, cash or in kind, value, the resident it was raised for

Revision ID: registry_0015
Revises: registry_0014
Create Date: 2026-12-04 00:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "registry_0015"
down_revision = "registry_0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "donations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("facility_id", sa.UUID(), nullable=False),
        sa.Column("donor", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("for_person_id", sa.UUID(), nullable=True),
        sa.Column("document", sa.Text(), server_default="", nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.CheckConstraint("form IN ('cash', 'in_kind')", name=op.f("ck_donations_form_known")),
        sa.CheckConstraint("value > 0", name=op.f("ck_donations_value_positive")),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["registry.facilities.id"], name=op.f("fk_donations_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["for_person_id"], ["registry.persons.id"], name=op.f("fk_donations_for_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donations")),
        schema="registry",
    )
    op.create_index(
        "ix_donations_facility", "donations", ["facility_id", "received_on", "id"], unique=False, schema="registry"
    )


def downgrade() -> None:
    op.drop_index("ix_donations_facility", table_name="donations", schema="registry")
    op.drop_table("donations", schema="registry")
