"""deliveries: the dispatcher's two indexes cover only the pending rows; no foreign keys

``ix_deliveries_due`` (status, next_attempt_at) becomes ``(next_attempt_at) WHERE status = 'pending'`` and
``ix_deliveries_order`` (subscription_id, subject, position) becomes the same columns ``WHERE status = 'pending'``.
The dispatcher's round reads the due heads in ``next_attempt_at`` order and each head's chain in position order
from them (gateway/events/repository.py ``due_chains``); delivered and dead rows, the bulk of the table, are no
longer in them, and an outcome (pending → delivered) adds no entry to either.

The foreign keys of ``deliveries`` (to ``events`` and ``subscriptions``) go: their per-row checks were ~45% of the
statement that stores a batch of 1,000 events with its deliveries (EXPLAIN ANALYZE: ~130 ms without, ~250 ms with).
Only the hub's own statements make deliveries — in the statement that stores their event, or from a live subscription
row — the API never deletes a subscription (it is marked ``deleted_at``), and retention prunes an event only once no
delivery refers to it.

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
    op.drop_constraint("fk_deliveries_event_id_events", "deliveries", schema="gateway", type_="foreignkey")
    op.drop_constraint(
        "fk_deliveries_subscription_id_subscriptions", "deliveries", schema="gateway", type_="foreignkey"
    )
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
    op.create_foreign_key(
        "fk_deliveries_subscription_id_subscriptions",
        "deliveries",
        "subscriptions",
        ["subscription_id"],
        ["id"],
        source_schema="gateway",
        referent_schema="gateway",
    )
    op.create_foreign_key(
        "fk_deliveries_event_id_events",
        "deliveries",
        "events",
        ["event_id"],
        ["id"],
        source_schema="gateway",
        referent_schema="gateway",
    )
