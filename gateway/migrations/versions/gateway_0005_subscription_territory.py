"""subscription territory: each partner subscription's areas expanded to the old and new codes of their ground

Revision ID: gateway_0005
Revises: gateway_0004
Create Date: 2026-12-03 23:00:00.000000

Events are matched against ``territory`` (see ``common.territory``), so a client given pre-2025 codes gets the
events of the 2025 units on the same ground and the other way round. Existing subscriptions get theirs from their
``areas`` now; later the hub recomputes it whenever it sets ``areas``.
"""

from alembic import op
import sqlalchemy as sa

from common.territory import territory

revision = "gateway_0005"
down_revision = "gateway_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "subscriptions",
        sa.Column("territory", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        schema="gateway",
    )
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, areas FROM gateway.subscriptions WHERE cardinality(areas) > 0")).all()
    for sub_id, areas in rows:
        conn.execute(
            sa.text("UPDATE gateway.subscriptions SET territory = :t WHERE id = :id"),
            {"t": list(territory(tuple(areas))), "id": sub_id},
        )


def downgrade() -> None:
    op.drop_column("subscriptions", "territory", schema="gateway")
