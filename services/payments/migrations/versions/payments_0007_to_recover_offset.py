"""net open to_recover balances against later lines: to_recover_offset on lines and payrolls, and an index of the
ledger's to_recover entries

Revision ID: payments_0007
Revises: payments_0006
Create Date: 2026-12-12 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "payments_0007"
down_revision = "payments_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "payroll_lines",
        sa.Column("to_recover_offset", sa.BigInteger(), server_default="0", nullable=False),
        schema="payments",
    )
    op.add_column(
        "payrolls",
        sa.Column("to_recover_offset", sa.BigInteger(), server_default="0", nullable=False),
        schema="payments",
    )
    op.create_index(
        "ix_ledger_entries_to_recover",
        "ledger_entries",
        ["programme", "recipient_id"],
        unique=False,
        schema="payments",
        postgresql_where=sa.text("kind IN ('to_recover', 'to_recover_offset')"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_ledger_entries_to_recover",
        table_name="ledger_entries",
        schema="payments",
        postgresql_where=sa.text("kind IN ('to_recover', 'to_recover_offset')"),
    )
    op.drop_column("payrolls", "to_recover_offset", schema="payments")
    op.drop_column("payroll_lines", "to_recover_offset", schema="payments")
