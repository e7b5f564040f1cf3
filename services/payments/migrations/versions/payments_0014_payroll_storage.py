"""payroll storage: plain line months not stored; payroll_lines' payroll checked per statement; settlements with room

Revision ID: payments_0014
Revises: payments_0013
Create Date: 2026-12-04 15:00:00

Three changes that make a payroll cheaper to generate and approve (docs/benchmarks.md, issue 16 item 3).

**Plain line months.** ``payments.payroll_line_months`` no longer holds the **plain month** of a line: the only
month the line settles, the first of its period, kind ``regular``, nothing allocated before, entitled = amount = the
line's ``regular`` (an unchanged recipient's month: ~96 % of the benchmark month's lines). Readers derive it from the
line (a line without stored months and with ``regular`` ≠ 0; ``services/payments/payrolls/repository.py``,
``months_sql``). The upgrade deletes the plain months of existing payrolls, so every payroll is stored one way; the
downgrade writes them back from the lines (the code before this revision reads only stored months).

**The payroll of a line** is checked once per statement instead of once per row: the foreign key from
``payroll_lines.payroll_id`` to ``payrolls`` (a lookup and a row lock per line: ~30 % of a payroll's generation CPU)
is replaced by statement-level triggers over the transition tables — after an INSERT or UPDATE of lines, the payrolls
they name are locked ``FOR KEY SHARE`` (as the key did) and a line naming no payroll raises
``foreign_key_violation``; after a DELETE of payrolls their lines are deleted (the key's ``ON DELETE CASCADE``).

**Settlements with room for their next version** (``fillfactor`` 50): every approval updates each recipient's row;
with free space on its page the update is HOT (no new entry in the primary key's random-UUID index): about half the
CPU of the approval's settlement MERGE here. The table is rewritten (``CLUSTER``) so existing rows get the room at
once.
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


LINES_NAME_A_PAYROLL = """
    CREATE FUNCTION payments.payroll_lines_name_a_payroll() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- As the foreign key did: the payrolls named are locked against deletion until commit, then every line must
        -- name one. Once per statement, over the rows it wrote.
        PERFORM 1 FROM payments.payrolls p WHERE p.id IN (SELECT DISTINCT payroll_id FROM written) FOR KEY SHARE OF p;
        IF EXISTS (SELECT 1 FROM (SELECT DISTINCT payroll_id FROM written) w
                   WHERE NOT EXISTS (SELECT 1 FROM payments.payrolls p WHERE p.id = w.payroll_id)) THEN
            RAISE EXCEPTION 'payments.payroll_lines: a line names a payroll that does not exist'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END $$
"""

PAYROLL_LINES_GO_WITH_THE_PAYROLL = """
    CREATE FUNCTION payments.payroll_lines_go_with_the_payroll() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM payments.payroll_lines l USING deleted d WHERE l.payroll_id = d.id;
        RETURN NULL;
    END $$
"""


def upgrade() -> None:
    op.execute(DELETE_PLAIN)
    op.execute("ALTER TABLE payments.payroll_lines DROP CONSTRAINT fk_payroll_lines_payroll_id_payrolls")
    op.execute(LINES_NAME_A_PAYROLL)
    op.execute(PAYROLL_LINES_GO_WITH_THE_PAYROLL)
    op.execute("""
        CREATE TRIGGER payroll_lines_inserted_name_a_payroll AFTER INSERT ON payments.payroll_lines
        REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION payments.payroll_lines_name_a_payroll()
    """)
    op.execute("""
        CREATE TRIGGER payroll_lines_updated_name_a_payroll AFTER UPDATE ON payments.payroll_lines
        REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION payments.payroll_lines_name_a_payroll()
    """)
    op.execute("""
        CREATE TRIGGER payrolls_deleted_take_their_lines AFTER DELETE ON payments.payrolls
        REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT
        EXECUTE FUNCTION payments.payroll_lines_go_with_the_payroll()
    """)
    op.execute("ALTER TABLE payments.settlements SET (fillfactor = 50)")
    # Rewritten now (VACUUM FULL cannot run in the migration's transaction): the existing rows get their room at once,
    # not one non-HOT update later. A few seconds for a million recipients, under an exclusive lock.
    op.execute("CLUSTER payments.settlements USING pk_settlements")


def downgrade() -> None:
    op.execute("ALTER TABLE payments.settlements RESET (fillfactor)")
    op.execute("DROP TRIGGER payrolls_deleted_take_their_lines ON payments.payrolls")
    op.execute("DROP TRIGGER payroll_lines_updated_name_a_payroll ON payments.payroll_lines")
    op.execute("DROP TRIGGER payroll_lines_inserted_name_a_payroll ON payments.payroll_lines")
    op.execute("DROP FUNCTION payments.payroll_lines_go_with_the_payroll()")
    op.execute("DROP FUNCTION payments.payroll_lines_name_a_payroll()")
    op.execute("""
        ALTER TABLE payments.payroll_lines ADD CONSTRAINT fk_payroll_lines_payroll_id_payrolls
        FOREIGN KEY (payroll_id) REFERENCES payments.payrolls (id) ON DELETE CASCADE
    """)
    op.execute(INSERT_PLAIN)
