"""job runs: each daily job's run claimed once per day, so one replica runs it (common/daily.py)

Revision ID: registry_0016
Revises: registry_0015
Create Date: 2026-12-04 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "registry_0016"
down_revision = "registry_0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("job", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), server_default="running", nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column(
            "started_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("job", "day", name=op.f("pk_job_runs")),
        schema="registry",
        comment="Daily jobs' runs: the replica whose row this is runs the job for that day, the others skip it",
    )


def downgrade() -> None:
    op.drop_table("job_runs", schema="registry")
