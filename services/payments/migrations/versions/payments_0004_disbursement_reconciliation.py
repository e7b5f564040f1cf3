"""postal disbursement: batches, line results, carries, reconciliation exceptions, unpaid alerts

Revision ID: payments_0004
Revises: payments_0003
Create Date: 2026-12-03 09:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "payments_0004"
down_revision = "payments_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("payroll_id", sa.UUID(), nullable=False),
        sa.Column("programme", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("period_first", sa.Date(), nullable=False),
        sa.Column("commune_code", sa.Text(), nullable=False),
        sa.Column("district_code", sa.Text(), nullable=False),
        sa.Column("province_code", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="ready", nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("paid_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("unpaid_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unpaid_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("returned_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("returned_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("fee_percent", sa.Numeric(), server_default="0", nullable=False),
        sa.Column("fee", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["payroll_id"], ["payments.payrolls.id"], name=op.f("fk_batches_payroll_id_payrolls")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
        sa.UniqueConstraint("payroll_id", "commune_code", name=op.f("uq_batches_payroll_id_commune_code")),
        schema="payments",
    )
    op.create_index("ix_batches_page", "batches", ["commune_code", "id"], unique=False, schema="payments")
    op.create_table(
        "payroll_carries",
        sa.Column("payroll_id", sa.UUID(), nullable=False),
        sa.Column("from_line_id", sa.UUID(), nullable=False),
        sa.Column("recipient_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payroll_id"],
            ["payments.payrolls.id"],
            name=op.f("fk_payroll_carries_payroll_id_payrolls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("payroll_id", "from_line_id", name=op.f("pk_payroll_carries")),
        schema="payments",
    )
    op.create_table(
        "unpaid_alerts",
        sa.Column("programme", sa.Text(), nullable=False),
        sa.Column("recipient_id", sa.UUID(), nullable=False),
        sa.Column("last_period", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("programme", "recipient_id", "last_period", name=op.f("pk_unpaid_alerts")),
        schema="payments",
    )
    op.create_table(
        "disbursement_exceptions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.UUID(), nullable=False),
        sa.Column("payroll_id", sa.UUID(), nullable=False),
        sa.Column("line_id", sa.UUID(), nullable=True),
        sa.Column("commune_code", sa.Text(), nullable=False),
        sa.Column("district_code", sa.Text(), nullable=False),
        sa.Column("province_code", sa.Text(), nullable=False),
        sa.Column("expected", sa.BigInteger(), nullable=True),
        sa.Column("reported", sa.BigInteger(), nullable=True),
        sa.Column(
            "detail", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["payments.batches.id"], name=op.f("fk_disbursement_exceptions_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursement_exceptions")),
        schema="payments",
    )
    op.create_index(
        "ix_disbursement_exceptions_page",
        "disbursement_exceptions",
        ["status", "created_at", "id"],
        unique=False,
        schema="payments",
    )
    op.create_index(
        "uq_disbursement_exceptions_missing",
        "disbursement_exceptions",
        ["line_id"],
        unique=True,
        schema="payments",
        postgresql_where=sa.text("kind = 'missing_result'"),
    )
    op.create_table(
        "line_results",
        sa.Column("line_id", sa.UUID(), nullable=False),
        sa.Column("batch_id", sa.UUID(), nullable=False),
        sa.Column("payroll_id", sa.UUID(), nullable=False),
        sa.Column("programme", sa.Text(), nullable=False),
        sa.Column("period_first", sa.Date(), nullable=False),
        sa.Column("recipient_id", sa.UUID(), nullable=False),
        sa.Column("line_total", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("paid_to", sa.Text(), nullable=True),
        sa.Column("proxy_name", sa.Text(), nullable=True),
        sa.Column("receipt_number", sa.Text(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("reported_by", sa.Text(), nullable=False),
        sa.Column("carried_payroll_id", sa.UUID(), nullable=True),
        sa.CheckConstraint("outcome IN ('paid', 'unpaid', 'returned')", name=op.f("ck_line_results_outcome_known")),
        sa.ForeignKeyConstraint(["batch_id"], ["payments.batches.id"], name=op.f("fk_line_results_batch_id_batches")),
        sa.ForeignKeyConstraint(
            ["line_id"], ["payments.payroll_lines.id"], name=op.f("fk_line_results_line_id_payroll_lines")
        ),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_line_results")),
        schema="payments",
    )
    op.create_index("ix_line_results_batch", "line_results", ["batch_id"], unique=False, schema="payments")
    op.create_index(
        "ix_line_results_recipient",
        "line_results",
        ["programme", "recipient_id", "period_first"],
        unique=False,
        schema="payments",
    )
    op.create_index(
        "ix_line_results_to_carry",
        "line_results",
        ["programme"],
        unique=False,
        schema="payments",
        postgresql_where=sa.text("outcome = 'unpaid' AND carried_payroll_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_line_results_to_carry",
        table_name="line_results",
        schema="payments",
        postgresql_where=sa.text("outcome = 'unpaid' AND carried_payroll_id IS NULL"),
    )
    op.drop_index("ix_line_results_recipient", table_name="line_results", schema="payments")
    op.drop_index("ix_line_results_batch", table_name="line_results", schema="payments")
    op.drop_table("line_results", schema="payments")
    op.drop_index(
        "uq_disbursement_exceptions_missing",
        table_name="disbursement_exceptions",
        schema="payments",
        postgresql_where=sa.text("kind = 'missing_result'"),
    )
    op.drop_index("ix_disbursement_exceptions_page", table_name="disbursement_exceptions", schema="payments")
    op.drop_table("disbursement_exceptions", schema="payments")
    op.drop_table("unpaid_alerts", schema="payments")
    op.drop_table("payroll_carries", schema="payments")
    op.drop_index("ix_batches_page", table_name="batches", schema="payments")
    op.drop_table("batches", schema="payments")
