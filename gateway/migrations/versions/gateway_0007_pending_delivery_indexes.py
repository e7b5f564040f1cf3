"""pending deliveries: the dispatcher's two indexes cover only the pending rows

``ix_deliveries_due`` (status, next_attempt_at) becomes ``(next_attempt_at) WHERE status = 'pending'`` and
``ix_deliveries_order`` (subscription_id, subject, position) becomes the same columns ``WHERE status = 'pending'``.
The dispatcher's round reads the due heads in ``next_attempt_at`` order and each head's chain in position order
from them (gateway/events/repository.py ``due_chains``); delivered and dead rows, the bulk of the table, are no
longer in them, and an outcome (pending → delivered) adds no entry to either.

Revision ID: gateway_0007
Revises: gateway_0006
Create Date: 2026-12-04 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "gateway_0007"
down_revision = "gateway_0006"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.drop_index("ix_deliveries_due", table_name="deliveries", schema="gateway")
    op.drop_index("ix_deliveries_order", table_name="deliveries", schema="gateway")
    op.create_index(
        "ix_deliveries_pending_due", "deliveries", ["next_attempt_at"], schema="gateway", postgresql_where=PENDING
    )
    op.create_index(
        "ix_deliveries_pending_order",
        "deliveries",
        ["subscription_id", "subject", "position"],
        schema="gateway",
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_pending_order", table_name="deliveries", schema="gateway")
    op.drop_index("ix_deliveries_pending_due", table_name="deliveries", schema="gateway")
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"], unique=False, schema="gateway")
    op.create_index(
        "ix_deliveries_order", "deliveries", ["subscription_id", "subject", "position"], unique=False, schema="gateway"
    )
