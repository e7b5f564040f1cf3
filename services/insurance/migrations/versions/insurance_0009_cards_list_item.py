"""cards: an index on the list item a card was issued for

A list file downloaded after BHXH answered part of it shows, for each answered item, the card issued for it (code and
validity), so that the file can be filled in further and sent back as it is. The download finds that card by
``list_item_id``, one chunk of items at a time: without this index each chunk would read every card.

Revision ID: insurance_0009
Revises: insurance_0008
Create Date: 2026-12-04 18:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "insurance_0009"
down_revision = "insurance_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_cards_list_item",
        "cards",
        ["list_item_id"],
        schema="insurance",
        postgresql_where=sa.text("list_item_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_cards_list_item", table_name="cards", schema="insurance")
