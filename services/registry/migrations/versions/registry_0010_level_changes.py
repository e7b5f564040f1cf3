"""deaths of persons, age-driven level changes

Revision ID: registry_0010
Revises: registry_0009
Create Date: 2026-12-01 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "registry_0010"
down_revision = "registry_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("persons", sa.Column("death_date", sa.Date(), nullable=True), schema="registry")
    op.add_column("persons", sa.Column("death_document", sa.Text(), nullable=True), schema="registry")
    op.create_index(op.f("ix_persons_date_of_birth"), "persons", ["date_of_birth"], unique=False, schema="registry")
    # Deaths recorded before this revision live only in record_death decisions: carry them to the person.
    op.execute("""
        UPDATE registry.persons p SET death_date = d.death_date, death_document = d.number
        FROM registry.beneficiaries b JOIN registry.decisions d ON d.beneficiary_id = b.id
        WHERE b.person_id = p.id AND d.kind = 'record_death' AND d.death_date IS NOT NULL
          AND p.death_date IS NULL
    """)
    op.create_table(
        "level_changes",
        sa.Column("beneficiary_id", sa.UUID(), nullable=False),
        sa.Column("effective_month", sa.Date(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("coefficient", sa.Text(), nullable=True),
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["registry.beneficiaries.id"],
            name=op.f("fk_level_changes_beneficiary_id_beneficiaries"),
        ),
        sa.PrimaryKeyConstraint("beneficiary_id", "effective_month", name=op.f("pk_level_changes")),
        schema="registry",
    )


def downgrade() -> None:
    op.drop_table("level_changes", schema="registry")
    op.drop_index(op.f("ix_persons_date_of_birth"), table_name="persons", schema="registry")
    op.drop_column("persons", "death_document", schema="registry")
    op.drop_column("persons", "death_date", schema="registry")
