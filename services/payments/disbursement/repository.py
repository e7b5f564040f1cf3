"""All SQL of postal disbursement: the split into batches, the lines of a batch by keyset chunks, results, held
amounts and the counters they move (their ledger entries are the ledger's). Set-based: whatever the number of
lines, a handful of statements."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import Batch, LineResult, Payroll

# --- approval: carried amounts and the split into batches --------------------------------------------------------

# Only the carries that reached a line: a recipient missing from the projection at generation (a rebuild in progress)
# gets no line, so its unpaid amount stays to carry and the next payroll it is in takes it.
_MARK_CARRIED = text("""
    UPDATE payments.line_results r SET carried_payroll_id = c.payroll_id
    FROM payments.payroll_carries c
    WHERE c.payroll_id = :id AND r.line_id = c.from_line_id
      -- A probe per carry (few), not a scan of the payroll's every line: the planner, whose statistics do not know
      -- the payroll's new lines yet, would drive a join from them. OFFSET 0 keeps the EXISTS a subplan run per carry.
      AND EXISTS (SELECT 1 FROM payments.payroll_lines l WHERE l.payroll_id = c.payroll_id
                                                         AND l.recipient_id = c.recipient_id OFFSET 0)
""")

CARRYABLE = """
    r.programme = :programme AND r.outcome = 'unpaid' AND r.carried_payroll_id IS NULL
    AND r.returned_payroll_id IS NULL AND r.period_first < :first
    AND NOT EXISTS (SELECT 1 FROM payments.beneficiaries b WHERE b.id = r.recipient_id
                    AND (b.status = 'suspended'
                         OR (r.held_payroll_id IS NOT NULL AND b.status IN ('terminated', 'deceased'))))
"""
"""SQL condition on ``payments.line_results r``: an unpaid amount of an earlier payroll that a payroll starting on
``:first`` carries. Not while its recipient is suspended (the amount is held, see ``hold``), and
not once held for a recipient since terminated or dead (it is returned to the budget instead)."""

# Unpaid results of earlier payrolls of the programme, still to carry, that the payroll did not take in at
# generation (reported since): approving it would leave them to the next payroll while this one may already recover
# the same months.
_STALE = text(
    """
    SELECT count(*) FROM payments.line_results r
    WHERE """
    + CARRYABLE
    + """
      AND NOT EXISTS (SELECT 1 FROM payments.payroll_carries c WHERE c.payroll_id = :id AND c.from_line_id = r.line_id)
"""
)


async def results_since_generation(session: AsyncSession, payroll_id: uuid.UUID, programme: str, first: date) -> int:
    """How many unpaid results the payroll would carry if generated now but does not."""
    return int(await session.scalar(_STALE, {"id": payroll_id, "programme": programme, "first": first}) or 0)


_SPLIT = text("""
    INSERT INTO payments.batches (payroll_id, programme, period, period_first, commune_code, district_code,
                                  province_code, deadline, line_count, amount, fee_percent)
    SELECT l.payroll_id, CAST(:programme AS text), CAST(:period AS text), CAST(:first AS date), l.commune_code,
           max(l.district_code), max(l.province_code), :deadline, count(*), sum(l.total), :fee_percent
    FROM payments.payroll_lines l  -- the payroll's columns are parameters: no join to payrolls per line
    WHERE l.payroll_id = :id AND l.total > 0
    GROUP BY l.payroll_id, l.commune_code
    RETURNING id, commune_code, district_code, province_code, line_count, amount
""")


async def mark_carried(session: AsyncSession, payroll_id: uuid.UUID) -> None:
    """Mark the unpaid results the payroll carries."""
    await session.execute(_MARK_CARRIED, {"id": payroll_id})


async def split(session: AsyncSession, payroll: Payroll, deadline: date, fee_percent: Decimal) -> Sequence[Row[Any]]:
    """Split the payroll into batches per commune."""
    params = {
        "id": payroll.id,
        "programme": payroll.programme,
        "period": payroll.period,
        "first": payroll.period_first,
        "deadline": deadline,
        "fee_percent": fee_percent,
    }
    return (await session.execute(_SPLIT, params)).all()


# --- held amounts (docs/rules.md §2: a suspended beneficiary's unpaid money is held, then paid or returned) ------
#   hold     the recipient is suspended when a payroll is approved without carrying it
#   return   the recipient was terminated (or died) while it was held
# (release — a line of the payroll carries it after reinstatement — changes no result: the carry marks it.)

_NOT_CARRIED_HERE = (
    "NOT EXISTS (SELECT 1 FROM payments.payroll_carries c WHERE c.payroll_id = :id AND c.from_line_id = r.line_id)"
)

_HOLD = text(
    """
    UPDATE payments.line_results r SET held_payroll_id = :id
    FROM payments.beneficiaries b
    WHERE r.programme = :programme AND r.outcome = 'unpaid' AND r.carried_payroll_id IS NULL
      AND r.held_payroll_id IS NULL AND r.period_first < :first
      AND b.id = r.recipient_id AND b.status = 'suspended' AND """
    + _NOT_CARRIED_HERE
    + """
    RETURNING r.line_id, r.recipient_id, r.line_total
"""
)

_RETURN = text(
    """
    UPDATE payments.line_results r SET returned_payroll_id = :id
    FROM payments.beneficiaries b
    WHERE r.programme = :programme AND r.held_payroll_id IS NOT NULL AND r.carried_payroll_id IS NULL
      AND r.returned_payroll_id IS NULL
      AND b.id = r.recipient_id AND b.status IN ('terminated', 'deceased') AND """
    + _NOT_CARRIED_HERE
    + """
    RETURNING r.line_id, r.recipient_id, r.line_total
"""
)


async def hold(session: AsyncSession, payroll_id: uuid.UUID, programme: str, first: date) -> Sequence[Row[Any]]:
    """Mark held the unpaid results of suspended recipients that the payroll does not carry; the lines held."""
    return (await session.execute(_HOLD, {"id": payroll_id, "programme": programme, "first": first})).all()


async def return_held(session: AsyncSession, payroll_id: uuid.UUID, programme: str) -> Sequence[Row[Any]]:
    """Mark returned the held results of recipients terminated (or dead) since; the lines returned."""
    return (await session.execute(_RETURN, {"id": payroll_id, "programme": programme})).all()


# --- batches -----------------------------------------------------------------------------------------------------


async def get(session: AsyncSession, batch_id: uuid.UUID, *, for_update: bool = False) -> Batch | None:
    stmt = select(Batch).where(Batch.id == batch_id).execution_options(populate_existing=True)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def search(
    session: AsyncSession,
    *,
    areas: Sequence[str] | None,
    payroll_id: uuid.UUID | None,
    status: str | None,
    commune_code: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> Sequence[Batch]:
    stmt = select(Batch)
    if areas is not None:
        stmt = stmt.where(in_areas(Batch, areas))
    if payroll_id:
        stmt = stmt.where(Batch.payroll_id == payroll_id)
    if status:
        stmt = stmt.where(Batch.status == status)
    if commune_code:
        stmt = stmt.where(Batch.commune_code == commune_code)
    if after is not None:
        stmt = stmt.where(tuple_(Batch.commune_code, Batch.id) > tuple_(literal(after[0]), literal(after[1])))
    return (await session.scalars(stmt.order_by(Batch.commune_code, Batch.id).limit(limit))).all()


_CHUNK = text("""
    SELECT l.id, l.recipient_name, l.national_id, b.date_of_birth, l.commune_code, l.total, l.regular, l.arrears,
           l.recovery, l.carried, o.reason AS note, r.outcome, r.paid_on, r.paid_to, r.proxy_name, r.receipt_number,
           r.amount AS paid_amount, r.reason
    FROM payments.payroll_lines l
    LEFT JOIN payments.beneficiaries b ON b.id = l.beneficiary_id
    LEFT JOIN payments.one_off_payments o ON o.id = l.one_off_payment_id
    LEFT JOIN payments.line_results r ON r.line_id = l.id
    WHERE l.payroll_id = :payroll_id AND l.commune_code = :commune AND l.total > 0 AND l.id > :after
    ORDER BY l.id LIMIT :limit
""")


async def chunk(session: AsyncSession, batch: Batch, after: uuid.UUID, limit: int) -> Sequence[Row[Any]]:
    """The next ``limit`` lines of a batch after line ``after`` (keyset on the payroll lines' page index)."""
    return (
        await session.execute(
            _CHUNK, {"payroll_id": batch.payroll_id, "commune": batch.commune_code, "after": after, "limit": limit}
        )
    ).all()


# --- results -----------------------------------------------------------------------------------------------------


async def known_lines(session: AsyncSession, batch: Batch, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    rows = await session.scalars(
        text(
            "SELECT id FROM payments.payroll_lines WHERE id = ANY(:ids) AND payroll_id = :p AND commune_code = :c "
            "AND total > 0"
        ),
        {"ids": list(ids), "p": batch.payroll_id, "c": batch.commune_code},
    )
    return set(rows)


async def line_batch(session: AsyncSession, line_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        text(
            "SELECT b.id FROM payments.payroll_lines l JOIN payments.batches b ON b.payroll_id = l.payroll_id "
            "AND b.commune_code = l.commune_code WHERE l.id = :id AND l.total > 0"
        ),
        {"id": line_id},
    )


_INPUT = """
    input AS (SELECT * FROM jsonb_to_recordset(CAST(:items AS jsonb)) AS x(
        line_id uuid, outcome text, paid_on date, paid_to text, proxy_name text, receipt_number text, amount bigint,
        reason text, note text))
"""

_INSERT_RESULTS = text(f"""
    WITH {_INPUT}
    INSERT INTO payments.line_results (line_id, batch_id, payroll_id, programme, period_first, recipient_id, line_total,
        outcome, paid_on, paid_to, proxy_name, receipt_number, amount, reason, note, reported_by)
    SELECT i.line_id, CAST(:batch_id AS uuid), l.payroll_id, :programme, CAST(:period_first AS date), l.recipient_id,
           l.total, i.outcome, i.paid_on, i.paid_to, i.proxy_name, i.receipt_number, i.amount, i.reason, i.note, :by
    FROM input i JOIN payments.payroll_lines l ON l.id = i.line_id AND l.payroll_id = :payroll_id
         AND l.commune_code = :commune AND l.total > 0
    ORDER BY i.line_id
    ON CONFLICT (line_id) DO NOTHING
    RETURNING line_id
""")


def _items_json(items: Sequence[dict[str, Any]]) -> str:
    return json.dumps(items, default=str)


async def insert_results(
    session: AsyncSession, batch: Batch, items: Sequence[dict[str, Any]], by: str
) -> set[uuid.UUID]:
    """Record the results of lines that have none yet (a concurrent identical report waits, then finds one)."""
    rows = await session.scalars(
        _INSERT_RESULTS,
        {
            "items": _items_json(items),
            "batch_id": batch.id,
            "programme": batch.programme,
            "period_first": batch.period_first,
            "payroll_id": batch.payroll_id,
            "commune": batch.commune_code,
            "by": by,
        },
    )
    return set(rows)


async def results(session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[LineResult]:
    return (
        await session.scalars(
            select(LineResult).where(LineResult.line_id.in_(ids)).execution_options(populate_existing=True)
        )
    ).all()


_REFRESH = text("""
    UPDATE payments.batches b SET
        paid_count = t.paid_count, paid_amount = t.paid_amount, unpaid_count = t.unpaid_count,
        unpaid_amount = t.unpaid_amount, returned_count = t.returned_count, returned_amount = t.returned_amount,
        fee = round(t.paid_amount * b.fee_percent / 100),
        status = CASE WHEN t.reported = 0 THEN 'ready' WHEN t.reported >= b.line_count THEN 'complete'
                      ELSE 'reporting' END,
        updated_at = now()
    FROM (SELECT count(*) AS reported,
                 count(*) FILTER (WHERE outcome = 'paid') AS paid_count,
                 COALESCE(sum(amount) FILTER (WHERE outcome = 'paid'), 0) AS paid_amount,
                 count(*) FILTER (WHERE outcome = 'unpaid') AS unpaid_count,
                 COALESCE(sum(line_total) FILTER (WHERE outcome = 'unpaid'), 0) AS unpaid_amount,
                 count(*) FILTER (WHERE outcome = 'returned') AS returned_count,
                 COALESCE(sum(line_total) FILTER (WHERE outcome = 'returned'), 0) AS returned_amount
          FROM payments.line_results WHERE batch_id = :id) t
    WHERE b.id = :id
""")


async def refresh(session: AsyncSession, batch_id: uuid.UUID) -> None:
    """Counters, fee and status from the batch's results (exact, whatever was reported before)."""
    await session.execute(_REFRESH, {"id": batch_id})


_EVENT_ROWS = text("""
    SELECT r.line_id, r.outcome, r.paid_on, r.paid_to, r.proxy_name, r.receipt_number, r.amount, r.reason,
           r.line_total, r.recipient_id, l.beneficiary_id, l.person_id, l.commune_code, l.district_code,
           l.province_code, l.one_off_payment_id
    FROM payments.line_results r JOIN payments.payroll_lines l ON l.id = r.line_id
    WHERE r.line_id = ANY(:ids) ORDER BY r.line_id
""")


async def event_rows(session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[Row[Any]]:
    return (await session.execute(_EVENT_ROWS, {"ids": list(ids)})).all()


# Three consecutive monthly payrolls not received (unpaid or returned), for recipients with a new such result: every
# window of three months containing the new month is checked; the earliest complete one is alerted once, and not when
# an alert already covers one of its months (a fourth month in a row adds nothing). The amount not received counts
# each VND once: a month's line total, unless it was carried into the line of a later month of the window (which was
# not received either, and whose total includes it). Three unpaid months of 750,000 are 750,000 + 1,500,000 +
# 2,250,000 in line totals but 2,250,000 not received.
_STREAKS = text("""
    WITH hit AS (
        SELECT r.programme, r.recipient_id, r.period_first
        FROM payments.line_results r
        JOIN payments.programmes pr ON pr.code = r.programme AND pr.kind = 'schedule' AND pr.frequency = 'monthly'
        WHERE r.line_id = ANY(:ids) AND r.outcome IN ('unpaid', 'returned')
    ),
    windows AS (
        SELECT DISTINCT h.programme, h.recipient_id, (h.period_first - make_interval(months => k))::date AS first
        FROM hit h CROSS JOIN generate_series(0, 2) AS k
    ),
    runs AS (
        SELECT DISTINCT ON (w.programme, w.recipient_id) w.programme, w.recipient_id, w.first,
               (w.first + interval '2 months')::date AS last_period,
               COALESCE(sum(r.line_total) FILTER (WHERE NOT EXISTS (
                   SELECT 1 FROM payments.line_results n
                   WHERE n.programme = r.programme AND n.recipient_id = r.recipient_id
                     AND n.payroll_id = r.carried_payroll_id AND n.outcome IN ('unpaid', 'returned')
                     AND n.period_first BETWEEN w.first AND (w.first + interval '2 months')::date)), 0) AS amount
        FROM windows w
        JOIN payments.line_results r ON r.programme = w.programme AND r.recipient_id = w.recipient_id
             AND r.period_first BETWEEN w.first AND (w.first + interval '2 months')::date
             AND r.outcome IN ('unpaid', 'returned')
        WHERE NOT EXISTS (SELECT 1 FROM payments.unpaid_alerts a
                          WHERE a.programme = w.programme AND a.recipient_id = w.recipient_id
                            AND a.last_period BETWEEN w.first AND (w.first + interval '2 months')::date)
        GROUP BY w.programme, w.recipient_id, w.first
        HAVING count(DISTINCT r.period_first) = 3
        ORDER BY w.programme, w.recipient_id, w.first
    ),
    ins AS (
        INSERT INTO payments.unpaid_alerts (programme, recipient_id, last_period)
        SELECT programme, recipient_id, last_period FROM runs ON CONFLICT DO NOTHING
        RETURNING programme, recipient_id, last_period
    )
    SELECT ins.programme, ins.recipient_id, runs.first, ins.last_period, runs.amount, b.person_id,
           b.commune_code, b.district_code, b.province_code
    FROM ins JOIN runs USING (programme, recipient_id, last_period)
    JOIN payments.beneficiaries b ON b.id = ins.recipient_id
""")


_STREAK_HITS = text("""
    SELECT DISTINCT r.programme, r.recipient_id
    FROM payments.line_results r
    JOIN payments.programmes pr ON pr.code = r.programme AND pr.kind = 'schedule' AND pr.frequency = 'monthly'
    WHERE r.line_id = ANY(:ids) AND r.outcome IN ('unpaid', 'returned')
    ORDER BY r.programme, r.recipient_id
""")

# Locks taken in one statement, in the order of the subquery (an aggregate reads its input in order): the same order
# in every transaction, so two of them never wait for each other crosswise.
_PROGRAMME_LOCKS = text("""
    SELECT count(CASE WHEN :exclusive THEN pg_advisory_xact_lock(k) ELSE pg_advisory_xact_lock_shared(k) END)
    FROM (SELECT hashtext('ansinh.payments.streaks.' || p)::bigint AS k
          FROM unnest(CAST(:programmes AS text[])) AS p ORDER BY 1) s
""")
_RECIPIENT_LOCKS = text("""
    SELECT count(pg_advisory_xact_lock(a, b))
    FROM (SELECT hashtext('ansinh.payments.streaks.' || p) AS a, hashtext(CAST(r AS text)) AS b
          FROM unnest(CAST(:programmes AS text[]), CAST(:recipients AS uuid[])) AS x(p, r) ORDER BY 1, 2) s
""")
RECIPIENT_LOCKS_MAX = 100
"""Results of at most this many recipients with a month not received lock each recipient; more lock the programme."""


async def unpaid_streaks(session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[Row[Any]]:
    """Alert the new runs of three unpaid months. Two transactions recording results for different months of one
    recipient would each see only their own result and miss the run: the checks of one recipient are serialised by
    locks held to commit, so the second one waits, then reads the first one's committed results (each statement of
    READ COMMITTED takes a new snapshot).

    Only results not received (unpaid, returned) of monthly programmes can start a run, so only they lock, and only
    their recipients: a lock per (programme, recipient) under the programme's lock taken shared — the post office's
    files of different pay points are recorded side by side (one lock per programme serialised every upload of a
    payroll's batches, paid or not). A file with more than ``RECIPIENT_LOCKS_MAX`` such recipients takes the
    programme's lock exclusively instead (bounded lock table), which waits for and excludes the per-recipient ones."""
    hits = (await session.execute(_STREAK_HITS, {"ids": list(ids)})).all()
    if not hits:
        return []
    programmes = sorted({h.programme for h in hits})
    exclusive = len(hits) > RECIPIENT_LOCKS_MAX
    await session.execute(_PROGRAMME_LOCKS, {"programmes": programmes, "exclusive": exclusive})
    if not exclusive:
        await session.execute(
            _RECIPIENT_LOCKS,
            {"programmes": [h.programme for h in hits], "recipients": [h.recipient_id for h in hits]},
        )
    return (await session.execute(_STREAKS, {"ids": list(ids)})).all()
