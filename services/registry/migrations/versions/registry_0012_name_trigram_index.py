"""trigram index on persons.name_key

Revision ID: registry_0012
Revises: registry_0011
Create Date: 2026-12-01 05:00:00.000000

Needs pg_trgm in schema "extensions" (``ansinh.database.bootstrap`` installs it as superuser).
"""

from alembic import op


revision = "registry_0012"
down_revision = "registry_0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_persons_name_key_trgm",
        "persons",
        ["name_key"],
        unique=False,
        schema="registry",
        postgresql_using="gin",
        postgresql_ops={"name_key": "extensions.gin_trgm_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_persons_name_key_trgm", table_name="persons", schema="registry", postgresql_using="gin")
