"""event areas: the area codes of each hub event, and the areas of each subscription

Revision ID: gateway_0004
Revises: gateway_0003
Create Date: 2026-12-01 10:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = "gateway_0004"
down_revision = "gateway_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "events", sa.Column("areas", sa.ARRAY(sa.Text()), server_default="{}", nullable=False), schema="gateway"
    )
    # Events stored before this revision: their areas from their data, as the hub computes them now.
    op.execute("""
        UPDATE gateway.events
        SET areas = ARRAY(SELECT c FROM unnest(ARRAY[envelope->'data'->>'commune_code',
                                                     envelope->'data'->>'district_code',
                                                     envelope->'data'->>'province_code']) c
                          WHERE c <> '')
        WHERE jsonb_typeof(envelope->'data') = 'object'
    """)
    op.create_index("ix_events_areas", "events", ["areas"], unique=False, schema="gateway", postgresql_using="gin")
    op.add_column(
        "subscriptions", sa.Column("areas", sa.ARRAY(sa.Text()), server_default="{}", nullable=False), schema="gateway"
    )
    # Partner subscriptions take the areas of the client that made them (admins and internal ones: none).
    op.execute("""
        UPDATE gateway.subscriptions s SET areas = c.areas
        FROM gateway.clients c
        WHERE s.owner = c.client_id AND NOT ('admin' = ANY(c.scopes))
    """)


def downgrade() -> None:
    op.drop_column("subscriptions", "areas", schema="gateway")
    op.drop_index("ix_events_areas", table_name="events", schema="gateway", postgresql_using="gin")
    op.drop_column("events", "areas", schema="gateway")
