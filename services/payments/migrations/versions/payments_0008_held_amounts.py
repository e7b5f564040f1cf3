"""held amounts: an unpaid amount of a suspended beneficiary is held (not carried), then carried after
reinstatement or returned to the budget on termination

Revision ID: payments_0008
Revises: payments_0007
Create Date: 2026-12-03 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "payments_0008"
down_revision = "payments_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("line_results", sa.Column("held_payroll_id", sa.UUID(), nullable=True), schema="payments")
    op.add_column("line_results", sa.Column("returned_payroll_id", sa.UUID(), nullable=True), schema="payments")


def downgrade() -> None:
    op.drop_column("line_results", "returned_payroll_id", schema="payments")
    op.drop_column("line_results", "held_payroll_id", schema="payments")
