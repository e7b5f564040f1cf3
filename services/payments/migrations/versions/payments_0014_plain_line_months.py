"""plain line months: a line's single regular month of the period, with nothing allocated, is no longer stored

Revision ID: payments_0014
Revises: payments_0013
Create Date: 2026-12-04 15:00:00

``payments.payroll_line_months`` no longer holds the **plain month** of a line: the only month the line settles, the
first of its period, kind ``regular``, nothing allocated before, entitled = amount = the line's ``regular`` (an
unchanged recipient's month: ~97 % of a payroll's lines). Readers derive it from the line (a line without stored
months and with ``regular`` ≠ 0; ``services/payments/payrolls/repository.py``, ``months_sql``). The upgrade deletes
the plain months of existing payrolls, so every payroll is stored one way; the downgrade writes them back from the
lines (the code before this revision reads only stored months).
"""

from __future__ import annotations

from alembic import op

revision = "payments_0014"
down_revision = "payments_0013"
branch_labels = None
depends_on = None

DELETE_PLAIN = """
    DELETE FROM payments.payroll_line_months m
    USING payments.payroll_lines l, payments.payrolls p
    WHERE l.payroll_id = m.payroll_id AND l.recipient_id = m.recipient_id AND p.id = m.payroll_id
      AND m.kind = 'regular' AND m.allocated = 0 AND m.service_month = p.period_first
      AND m.entitled = l.regular AND m.amount = l.regular AND l.regular <> 0
      AND NOT EXISTS (SELECT 1 FROM payments.payroll_line_months o
                      WHERE o.payroll_id = m.payroll_id AND o.recipient_id = m.recipient_id
                        AND o.service_month <> m.service_month)
"""
"""The stored months that are plain (the line's only month, as the readers would derive it)."""

INSERT_PLAIN = """
    INSERT INTO payments.payroll_line_months (payroll_id, recipient_id, service_month, kind, entitled, allocated,
                                              amount)
    SELECT l.payroll_id, l.recipient_id, p.period_first, 'regular', l.regular, 0, l.regular
    FROM payments.payroll_lines l JOIN payments.payrolls p ON p.id = l.payroll_id
    WHERE l.regular <> 0
      AND NOT EXISTS (SELECT 1 FROM payments.payroll_line_months m
                      WHERE m.payroll_id = l.payroll_id AND m.recipient_id = l.recipient_id)
    ORDER BY l.payroll_id, l.recipient_id
"""
"""The plain month of every line without stored months, written back."""


def upgrade() -> None:
    op.execute(DELETE_PLAIN)


def downgrade() -> None:
    op.execute(INSERT_PLAIN)
