"""persons' three duplicate keys in one index: (name_key, date_of_birth, commune_code)

Revision ID: registry_0019
Revises: registry_0018
Create Date: 2026-12-05 01:30:00.000000

A bulk import checks every new record against the registry on the three keys of the duplicate rule (same folded name,
date of birth and commune): whether a record without national ID is registered already, and which records it may
duplicate. With ``name_key`` and ``date_of_birth`` indexed apart, the planner joined each chunk's records to the whole
``persons`` table by a sequential scan: an import of 50,000 persons slowed from ~21,000 persons/s into an empty
registry to ~10,700 into one of 250,000 (docs/benchmarks.md). One index on the three keys serves each record with one
probe, whatever the registry's size. It replaces the index on ``name_key`` alone, whose lookups (a name, the list in
name order) it serves as its first column: a person insert still maintains the same number of indexes.
"""

from alembic import op

revision = "registry_0019"
down_revision = "registry_0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_persons_identity", "persons", ["name_key", "date_of_birth", "commune_code"], unique=False, schema="registry"
    )
    op.drop_index("ix_persons_name_key", table_name="persons", schema="registry")


def downgrade() -> None:
    op.create_index("ix_persons_name_key", "persons", ["name_key"], unique=False, schema="registry")
    op.drop_index("ix_persons_identity", table_name="persons", schema="registry")
