"""pending decisions: an index in the order the decision worker takes them

The worker takes the oldest queued persons (``ORDER BY queued_at, person_id LIMIT 2000 FOR UPDATE SKIP LOCKED``).
Without this index every take read and sorted the whole queue: when the hub delivers events faster than the worker
decides (136,539 persons queued by an enrolment), each take cost time in proportion to the queue.

Revision ID: insurance_0008
Revises: insurance_0007
Create Date: 2026-12-04 15:20:00
"""

from alembic import op

revision = "insurance_0008"
down_revision = "insurance_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_pending_decisions_queued_at", "pending_decisions", ["queued_at", "person_id"], schema="insurance"
    )


def downgrade() -> None:
    op.drop_index("ix_pending_decisions_queued_at", table_name="pending_decisions", schema="insurance")
