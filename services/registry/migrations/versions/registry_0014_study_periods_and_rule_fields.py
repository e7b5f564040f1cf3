"""study periods; household memberships by person; category rules: children counted by 5.4, categories
introduced by Decree 20/2021

Revision ID: registry_0014
Revises: registry_0013
Create Date: 2026-12-03 23:00:00.000000

The seeded rules get the fields the engine now reads (issue 12): 5.4 counts a child through the 16th birthday
month, or through the 22nd while studying; 5.5b and 5.7 were created by Decree 20/2021 (no grant decided before
2021-07 pays); 5.5c keeps no look-back limit (``lookback_months`` null).
"""

from alembic import op
import sqlalchemy as sa


revision = "registry_0014"
down_revision = "registry_0013"
branch_labels = None
depends_on = None

_FIELDS = ("child_last_birthday", "child_studying_last_birthday", "introduced", "lookback_months")


def upgrade() -> None:
    op.create_table(
        "study_periods",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("from_month", sa.Date(), nullable=False),
        sa.Column("to_month", sa.Date(), nullable=True),
        sa.Column("institution", sa.Text(), server_default="", nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["registry.persons.id"], name=op.f("fk_study_periods_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_periods")),
        schema="registry",
    )
    op.create_index(
        "ix_study_periods_person", "study_periods", ["person_id", "from_month"], unique=False, schema="registry"
    )
    op.create_index("ix_household_members_person", "household_members", ["person_id"], unique=False, schema="registry")
    # Every rule gets the new fields (null/false), then the seeded values.
    op.execute("""UPDATE registry.category_rules SET rule = rule || jsonb_build_object(
        'child_last_birthday', NULL, 'child_studying_last_birthday', NULL, 'introduced', false,
        'lookback_months', NULL)""")
    op.execute("""UPDATE registry.category_rules SET rule = rule || '{"child_last_birthday": 16,
        "child_studying_last_birthday": 22}'::jsonb WHERE code = '5.4'""")
    op.execute("""UPDATE registry.category_rules SET rule = rule || '{"introduced": true}'::jsonb
        WHERE code IN ('5.5b', '5.7') AND valid_from = DATE '2021-07-01'""")


def downgrade() -> None:
    for field in _FIELDS:
        op.execute(f"UPDATE registry.category_rules SET rule = rule - '{field}'")
    op.drop_index("ix_household_members_person", table_name="household_members", schema="registry")
    op.drop_index("ix_study_periods_person", table_name="study_periods", schema="registry")
    op.drop_table("study_periods", schema="registry")
