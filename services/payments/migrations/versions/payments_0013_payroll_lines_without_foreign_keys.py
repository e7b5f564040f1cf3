"""payroll lines and line months without a foreign key to payrolls: both are written by one set-based statement of
the generation, right after the payroll row in the same transaction, and payrolls are never deleted; the per-row
check of the key cost about a fifth of the generation's CPU (docs/benchmarks.md)

Revision ID: payments_0013
Revises: payments_0012
Create Date: 2026-12-04 02:10:00
"""

from alembic import op

revision = 'payments_0013'
down_revision = 'payments_0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint('fk_payroll_lines_payroll_id_payrolls', 'payroll_lines', schema='payments', type_='foreignkey')
    op.drop_constraint('fk_payroll_line_months_payroll_id_payrolls', 'payroll_line_months', schema='payments',
                       type_='foreignkey')


def downgrade() -> None:
    op.create_foreign_key('fk_payroll_line_months_payroll_id_payrolls', 'payroll_line_months', 'payrolls',
                          ['payroll_id'], ['id'], source_schema='payments', referent_schema='payments',
                          ondelete='CASCADE')
    op.create_foreign_key('fk_payroll_lines_payroll_id_payrolls', 'payroll_lines', 'payrolls', ['payroll_id'], ['id'],
                          source_schema='payments', referent_schema='payments', ondelete='CASCADE')
