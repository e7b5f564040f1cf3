"""possible duplicates: flagged pairs of person records, merged_into on persons, the count on imports

Revision ID: registry_0013
Revises: registry_0012
Create Date: 2026-12-03 23:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "registry_0013"
down_revision = "registry_0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("persons", sa.Column("merged_into", sa.UUID(), nullable=True), schema="registry")
    op.create_foreign_key(
        op.f("fk_persons_merged_into_persons"),
        "persons",
        "persons",
        ["merged_into"],
        ["id"],
        source_schema="registry",
        referent_schema="registry",
    )
    op.add_column(
        "imports", sa.Column("possible_duplicates", sa.Integer(), server_default="0", nullable=False), schema="registry"
    )
    op.create_table(
        "possible_duplicates",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("other_id", sa.UUID(), nullable=False),
        sa.Column("rules", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("survivor_id", sa.UUID(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["other_id"], ["registry.persons.id"], name=op.f("fk_possible_duplicates_other_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["registry.persons.id"], name=op.f("fk_possible_duplicates_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_possible_duplicates")),
        sa.UniqueConstraint("person_id", "other_id", name=op.f("uq_possible_duplicates_person_id_other_id")),
        schema="registry",
    )
    op.create_index(
        "ix_possible_duplicates_other", "possible_duplicates", ["other_id"], unique=False, schema="registry"
    )
    op.create_index(
        "ix_possible_duplicates_page",
        "possible_duplicates",
        ["status", "created_at", "id"],
        unique=False,
        schema="registry",
    )


def downgrade() -> None:
    op.drop_index("ix_possible_duplicates_page", table_name="possible_duplicates", schema="registry")
    op.drop_index("ix_possible_duplicates_other", table_name="possible_duplicates", schema="registry")
    op.drop_table("possible_duplicates", schema="registry")
    op.drop_column("imports", "possible_duplicates", schema="registry")
    op.drop_constraint(op.f("fk_persons_merged_into_persons"), "persons", schema="registry", type_="foreignkey")
    op.drop_column("persons", "merged_into", schema="registry")
