"""All SQL of the ledger: its entries (the one feature that inserts them; a trigger refuses UPDATE and DELETE) and
its reports. Every write is one set-based statement: issued amounts at payroll approval, carried amounts taken in,
postal results, and the moves of held amounts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import LedgerEntry

KEYS = {
    "programme": LedgerEntry.programme,
    "period": LedgerEntry.period,
    "district": LedgerEntry.district_code,
    "commune": LedgerEntry.commune_code,
}


async def totals(
    session: AsyncSession,
    *,
    year: int,
    by: str,
    programme: str | None,
    areas: Sequence[str] | None,
    since: int | None = None,
) -> Sequence[Any]:
    """(key, kind, amount, entries) for the payroll periods starting in ``year`` (from January of ``since`` to
    December of ``year`` when given)."""
    key = KEYS[by]
    stmt = (
        select(
            key.label("key"),
            LedgerEntry.kind,
            func.sum(LedgerEntry.amount).label("amount"),
            func.count().label("entries"),
        )
        .where(LedgerEntry.period_first >= date(since or year, 1, 1), LedgerEntry.period_first < date(year + 1, 1, 1))
        .group_by(key, LedgerEntry.kind)
        .order_by(key, LedgerEntry.kind)
    )
    if programme:
        stmt = stmt.where(LedgerEntry.programme == programme)
    if areas is not None:
        stmt = stmt.where(in_areas(LedgerEntry, areas))
    return (await session.execute(stmt)).all()


# --- writes --------------------------------------------------------------------------------------------------------

_ENTRY_COLUMNS = """programme, payroll_id, period, period_first, line_id, recipient_id, service_month, kind, amount,
                                         commune_code, district_code, province_code"""

_ISSUE = text(f"""
    INSERT INTO payments.ledger_entries ({_ENTRY_COLUMNS})
    -- The lines' months: those stored, and the plain month of a line without stored months (payrolls.repository,
    -- months_sql: the period's first month, regular, the line's regular amount). One pass over the lines. The
    -- payroll's own columns are parameters, not a join: a join to payrolls is a nested loop probing it per line.
    SELECT CAST(:programme AS text), l.payroll_id, CAST(:period AS text), CAST(:first AS date), l.id, l.recipient_id,
           COALESCE(m.service_month, CAST(:first AS date)), COALESCE(m.kind, 'regular'), COALESCE(m.amount, l.regular),
           l.commune_code, l.district_code, l.province_code
    FROM payments.payroll_lines l
    LEFT JOIN payments.payroll_line_months m ON m.payroll_id = l.payroll_id AND m.recipient_id = l.recipient_id
    WHERE l.payroll_id = :id AND (m.payroll_id IS NOT NULL OR l.regular <> 0)
    UNION ALL  -- to_recover: what the line could not recover; to_recover_offset: what it withheld against the open
               -- to_recover balance (the claim shrinks by exactly that). One pass over the few lines with either.
    SELECT CAST(:programme AS text), l.payroll_id, CAST(:period AS text), CAST(:first AS date), l.id, l.recipient_id,
           NULL, e.kind, e.amount, l.commune_code, l.district_code, l.province_code
    FROM payments.payroll_lines l
    CROSS JOIN LATERAL (VALUES ('to_recover', l.to_recover),
                               ('to_recover_offset', -l.to_recover_offset)) AS e(kind, amount)
    WHERE l.payroll_id = :id AND (l.to_recover > 0 OR l.to_recover_offset > 0) AND e.amount <> 0
    ORDER BY 6, 7  -- (recipient, month): the ledger's allocation index is walked once, not probed at random
""")


async def issue(session: AsyncSession, payroll_id: uuid.UUID) -> None:
    """Every line's amounts per service month, plus to_recover and the offsets against open to_recover balances
    (without a month)."""
    # The payroll's rows are new: unless autovacuum analyzed the tables since generation (it waits for 10% of a
    # table to change, i.e. never after one month of a year's payrolls) the planner estimates one line, joins by
    # nested loop probing the payroll's every month per line, and the ledger insert turns quadratic (12 minutes
    # for 100,000 lines here). Hash or merge joins cost the same on small payrolls: nested loops are off for it.
    # Its sort stays in memory (the default 4 MB spills to disk).
    await session.execute(text("SET LOCAL enable_nestloop = off"))
    await session.execute(text("SET LOCAL work_mem = '128MB'"))
    p = (
        await session.execute(
            text("SELECT programme, period, period_first FROM payments.payrolls WHERE id = :id"), {"id": payroll_id}
        )
    ).one()
    await session.execute(
        _ISSUE, {"id": payroll_id, "programme": p.programme, "period": p.period, "first": p.period_first}
    )
    await session.execute(text("RESET enable_nestloop"))
    await session.execute(text("RESET work_mem"))


# The unpaid amount re-enters a payroll: −carried on the line that pays it (+carried was written on the unpaid line),
# so the ledger's carried total is what waits for a payroll, and issued is never counted twice.
_CARRIED_IN = text(f"""
    INSERT INTO payments.ledger_entries ({_ENTRY_COLUMNS})
    SELECT p.programme, p.id, p.period, p.period_first, l.id, l.recipient_id, NULL, 'carried', -l.carried,
           l.commune_code, l.district_code, l.province_code
    FROM payments.payrolls p JOIN payments.payroll_lines l ON l.payroll_id = p.id
    WHERE p.id = :id AND l.carried <> 0
""")


async def carried_in(session: AsyncSession, payroll_id: uuid.UUID) -> None:
    await session.execute(_CARRIED_IN, {"id": payroll_id})


# paid → paid (and recovered: the part of the line's recovery netted against what it paid); unpaid → +carried (the
# next payroll carries it, writing −carried); returned → returned. One entry per line and kind, no service month.
_RESULTS = text(f"""
    INSERT INTO payments.ledger_entries ({_ENTRY_COLUMNS})
    SELECT p.programme, p.id, p.period, p.period_first, l.id, l.recipient_id, NULL, e.kind, e.amount,
           l.commune_code, l.district_code, l.province_code
    FROM payments.line_results r
    JOIN payments.payroll_lines l ON l.id = r.line_id
    JOIN payments.payrolls p ON p.id = l.payroll_id
    CROSS JOIN LATERAL (VALUES
        (CASE r.outcome WHEN 'paid' THEN 'paid' WHEN 'unpaid' THEN 'carried' ELSE 'returned' END,
         CASE r.outcome WHEN 'paid' THEN r.amount ELSE r.line_total END),
        ('recovered', CASE WHEN r.outcome = 'paid' THEN -l.recovery - l.to_recover ELSE 0 END)) AS e(kind, amount)
    WHERE r.line_id = ANY(:ids) AND (e.kind <> 'recovered' OR e.amount > 0)
    ORDER BY l.id
""")


async def results(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    await session.execute(_RESULTS, {"ids": list(ids)})


# A held amount moves between two kinds with a pair of entries on the unpaid line (its areas, no service month).
_MOVE = f"""
    INSERT INTO payments.ledger_entries ({_ENTRY_COLUMNS})
    SELECT p.programme, p.id, p.period, p.period_first, u.line_id, u.recipient_id, NULL, e.kind, e.amount,
           ul.commune_code, ul.district_code, ul.province_code
    FROM moved u
    JOIN payments.payrolls p ON p.id = :id
    JOIN payments.payroll_lines ul ON ul.id = u.line_id
    CROSS JOIN LATERAL (VALUES (CAST(:out AS text), -u.line_total), (CAST(:into AS text), u.line_total))
        AS e(kind, amount)
    ORDER BY u.recipient_id, u.line_id
"""

_MOVE_LINES = text(
    """
    WITH moved AS (
        SELECT * FROM unnest(CAST(:lines AS uuid[]), CAST(:recipients AS uuid[]), CAST(:totals AS bigint[]))
            AS m(line_id, recipient_id, line_total)
    )"""
    + _MOVE
)


async def move(session: AsyncSession, payroll_id: uuid.UUID, lines: Sequence[Row[Any]], out: str, into: str) -> None:
    """``lines`` (``line_id``, ``recipient_id``, ``line_total``): each line's total moves from ``out`` to ``into``."""
    if lines:
        await session.execute(
            _MOVE_LINES,
            {
                "id": payroll_id,
                "out": out,
                "into": into,
                "lines": [r.line_id for r in lines],
                "recipients": [r.recipient_id for r in lines],
                "totals": [r.line_total for r in lines],
            },
        )


_RELEASE = text(
    """
    WITH moved AS (
        SELECT r.line_id, r.recipient_id, r.line_total
        FROM payments.payroll_carries c
        JOIN payments.line_results r ON r.line_id = c.from_line_id AND r.held_payroll_id IS NOT NULL
        WHERE c.payroll_id = :id  -- the carries drive (few): a probe each, not a scan of the payroll's every line
          -- (OFFSET 0 keeps the EXISTS a subplan: the planner's statistics do not know the payroll's new lines yet)
          AND EXISTS (SELECT 1 FROM payments.payroll_lines l WHERE l.payroll_id = c.payroll_id
                                                             AND l.recipient_id = c.recipient_id OFFSET 0)
    )"""
    + _MOVE
)


async def release_held(session: AsyncSession, payroll_id: uuid.UUID) -> None:
    """held −x, carried +x for every held amount a line of the payroll carries (after reinstatement)."""
    await session.execute(_RELEASE, {"id": payroll_id, "out": "held", "into": "carried"})
