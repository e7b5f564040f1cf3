"""child_protection schema

Revision ID: child_protection_0001
Revises:
"""

revision = "child_protection_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The schema itself is created by `ansinh migrate` (bootstrap) or env.py before this runs.
    pass


def downgrade() -> None:
    pass
