"""All SQL of payrolls. Generation and approval are set-based: a handful of statements whatever the number of
recipients, never a Python loop over them (set-based SQL writes ~0.9 M rows/s here, ORM inserts ~20 k).

Generation compares, per recipient and service month, what the recipient is **entitled** to (the projection)
with what approved payrolls already **allocated** (the ledger's regular, arrears and recovery entries):

    delta = entitled − allocated, for every month from the recipient's scan start to the period's last month
    month in the period          → regular
    earlier month, delta > 0     → arrears   (late decision, retroactive level increase, category upgrade)
    delta < 0                    → recovery  (paid for months after death or loss of eligibility)

The scan start is the programme's accounting month for a recipient whose projection version moved since its
last settlement (or that was never settled), and the month after ``settled_through`` otherwise: an unchanged
schedule cannot owe anything new for months already settled, so most recipients cost one month, not years.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, func, literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import flush_in_savepoint, in_areas
from common.ids import uuid7_sql

from ..disbursement.repository import CARRYABLE
from ..models import LedgerEntry, Payroll, PayrollLine
from ..rules import foster

# --- generation ----------------------------------------------------------------------------------------------

_SCAN = """
    SELECT r.id AS rid, {columns},
           (CAST(:force_full AS boolean) OR s.recipient_id IS NULL OR s.settled_version <> r.version) AS full_scan,
           CASE WHEN CAST(:force_full AS boolean) OR s.recipient_id IS NULL OR s.settled_version <> r.version
                THEN CAST(:acc AS date)
                ELSE GREATEST(CAST(:acc AS date), (s.settled_through + interval '1 month')::date) END AS scan_from
    FROM {source} r
    LEFT JOIN payments.settlements s ON s.programme = :programme AND s.recipient_id = r.id
"""

# Periods of equal payment (a first and an optional last month): the amount for every month a period covers. A period
# that ended before the accounting month is left out as the table is read (no scan starts earlier): most of a long
# schedule's periods, which the join with the scan would otherwise look up and drop one by one.
_PERIOD_MONTHS = """
        SELECT sc.rid, gs.m::date AS m, p.amount
        FROM scan sc
        JOIN {table} p ON p.{key} = sc.rid AND p.{first} <= CAST(:last AS date)
             AND (p.{last} IS NULL OR p.{last} >= sc.scan_from)
             AND (p.{last} IS NULL OR p.{last} >= CAST(:acc AS date))
        CROSS JOIN LATERAL generate_series(GREATEST(p.{first}, sc.scan_from),
                                           LEAST(COALESCE(p.{last}, CAST(:last AS date)), CAST(:last AS date)),
                                           interval '1 month') AS gs(m)
"""

_ENTITLED = {
    # The registry's schedule: each period gives its amount for every month it covers.
    "schedule": _PERIOD_MONTHS.format(
        table="payments.entitlement_periods", key="beneficiary_id", first="first_month", last="last_month"
    ),
    # An artisan's enrolment (its own recipient) is one period: its amount from from_month through to_month.
    "artisans": _PERIOD_MONTHS.format(
        table="payments.artisan_enrolments", key="id", first="from_month", last="to_month"
    ),
    # A foster placement (its own recipient): the standard level in force each month of care × 2.5 before the
    # child's 4th-birthday month, × 1.5 from it (rules/foster.py fixed the months when the event was applied).
    "foster": """
        SELECT sc.rid, gs.m::date AS m,
               CAST(round(lvl.value * CASE WHEN gs.m < f.rate_change_month THEN """
    + str(foster.UNDER_4)
    + """ ELSE """
    + str(foster.FROM_4)
    + """ END) AS bigint) AS amount
        FROM scan sc
        JOIN payments.foster_placements f ON f.id = sc.rid AND f.first_month <= CAST(:last AS date)
             AND f.last_month >= sc.scan_from
        CROSS JOIN LATERAL generate_series(GREATEST(f.first_month, sc.scan_from),
                                           LEAST(f.last_month, CAST(:last AS date)), interval '1 month') AS gs(m)
        JOIN LATERAL (SELECT pp.value FROM payments.programme_parameters pp
                      WHERE pp.programme = :programme AND pp.name = 'standard_level' AND pp.valid_from <= gs.m
                      ORDER BY pp.valid_from DESC LIMIT 1) lvl ON true
    """,
    # The province's amount in force in a month, once per household (both grounds pay the same), for a household
    # that on the first day of the month is poor, or is not poor, has a low-use declaration in force and a member
    # with an amount payable that month (a social-policy household, rules.md §3).
    "electricity": """
        SELECT sc.rid, gs.m::date AS m, CAST(amt.value AS bigint) AS amount
        FROM scan sc
        CROSS JOIN LATERAL generate_series(sc.scan_from, CAST(:last AS date), interval '1 month') AS gs(m)
        LEFT JOIN LATERAL (SELECT ps.status FROM payments.poverty_statuses ps
                           WHERE ps.household_id = sc.rid AND ps.valid_from <= gs.m
                           ORDER BY ps.valid_from DESC LIMIT 1) st ON true
        LEFT JOIN LATERAL (SELECT eu.low_use FROM payments.electricity_use eu
                           WHERE eu.household_id = sc.rid AND eu.valid_from <= gs.m
                           ORDER BY eu.valid_from DESC LIMIT 1) lu ON true
        JOIN LATERAL (SELECT pp.value FROM payments.programme_parameters pp
                      WHERE pp.programme = :programme AND pp.name = 'amount_per_month' AND pp.valid_from <= gs.m
                      ORDER BY pp.valid_from DESC LIMIT 1) amt ON amt.value > 0
        WHERE st.status = 'poor'
           OR (lu.low_use AND EXISTS (
                SELECT 1 FROM payments.beneficiaries b
                JOIN payments.entitlement_periods p ON p.beneficiary_id = b.id AND p.first_month <= gs.m
                     AND (p.last_month IS NULL OR p.last_month >= gs.m)
                WHERE b.household_id = sc.rid))
    """,
}

# Electricity recipients: households with a poverty status, and households with a low-use declaration (area from the
# projection, else as declared). A household's version is the projection's while it has no declaration; with one it
# also covers the declarations and its members' schedule versions, so a retroactive declaration or a member's schedule
# that changed makes the next payroll compare its past months again.
_ELECTRICITY_HOUSEHOLDS = """(
        SELECT h.id, h.commune_code, h.district_code, h.province_code, h.version
        FROM payments.households h
        WHERE NOT EXISTS (SELECT 1 FROM payments.electricity_use eu WHERE eu.household_id = h.id)
        UNION ALL
        SELECT d.household_id, COALESCE(h.commune_code, d.commune_code), COALESCE(h.district_code, d.district_code),
               COALESCE(h.province_code, d.province_code),
               hashtext(concat_ws('|', h.version, d.sig, mb.sig))
        FROM (SELECT eu.household_id, string_agg(eu.valid_from || ':' || eu.low_use, ',' ORDER BY eu.valid_from) AS sig,
                     (array_agg(eu.commune_code ORDER BY eu.valid_from DESC))[1] AS commune_code,
                     (array_agg(eu.district_code ORDER BY eu.valid_from DESC))[1] AS district_code,
                     (array_agg(eu.province_code ORDER BY eu.valid_from DESC))[1] AS province_code
              FROM payments.electricity_use eu GROUP BY eu.household_id) d
        LEFT JOIN payments.households h ON h.id = d.household_id
        LEFT JOIN LATERAL (SELECT string_agg(b.id || ':' || b.version, ',' ORDER BY b.id) AS sig
                           FROM payments.beneficiaries b WHERE b.household_id = d.household_id) mb ON true
    )"""

_SOURCE = {
    # A suspended beneficiary gets no line (docs/rules.md §2): not even arrears or a recovery; they wait for
    # reinstatement or termination, when the schedule's next version is compared month by month from the accounting
    # month again.
    "schedule": "(SELECT * FROM payments.beneficiaries WHERE status <> 'suspended')",
    "electricity": _ELECTRICITY_HOUSEHOLDS,
    "artisans": "payments.artisan_enrolments",
    # Every foster placement is scanned, payable or not: one that no longer qualifies (its terms published again) has
    # no entitled months, and the months it was paid are recovered. Few rows (placements, not children).
    "foster": "payments.foster_placements",
}

# What a line records about its recipient, read by the scan (which reads every recipient anyway) and carried to the
# line: joining the recipients' table again at the end probed it once per line, at random (a million lines: ~1/5 of
# the generation's CPU, the table being larger than the buffer cache).
_SCAN_COLUMNS = {
    "schedule": "r.person_id, r.household_id, r.full_name, r.national_id, r.commune_code, r.district_code, "
    "r.province_code, r.version",
    "electricity": "r.commune_code, r.district_code, r.province_code, r.version",
    "artisans": "r.person_id, r.recipient_name, r.national_id, r.commune_code, r.district_code, r.province_code, "
    "r.version",
    "foster": "r.recipient_name, r.commune_code, r.district_code, r.province_code, r.version",
}

_LINE_FROM = {
    "schedule": """
        SELECT CAST(:payroll_id AS uuid), m.rid, r.rid, r.person_id, r.household_id, NULL::uuid, r.full_name,
               r.national_id, r.commune_code, r.district_code, r.province_code, r.version, {amounts}
        FROM m JOIN scan r ON r.rid = m.rid
    """,
    "electricity": """
        SELECT CAST(:payroll_id AS uuid), m.rid, NULL::uuid, NULL::uuid, r.rid, NULL::uuid, NULL, NULL,
               r.commune_code, r.district_code, r.province_code, r.version, {amounts}
        FROM m JOIN scan r ON r.rid = m.rid
    """,
    "artisans": """
        SELECT CAST(:payroll_id AS uuid), m.rid, NULL::uuid, r.person_id, NULL::uuid, NULL::uuid, r.recipient_name,
               r.national_id, r.commune_code, r.district_code, r.province_code, r.version, {amounts}
        FROM m JOIN scan r ON r.rid = m.rid
    """,
    "foster": """
        SELECT CAST(:payroll_id AS uuid), m.rid, NULL::uuid, NULL::uuid, NULL::uuid, NULL::uuid, r.recipient_name,
               NULL, r.commune_code, r.district_code, r.province_code, r.version, {amounts}
        FROM m JOIN scan r ON r.rid = m.rid
    """,
    "one_off": """
        SELECT CAST(:payroll_id AS uuid), m.rid, r.beneficiary_id, r.person_id, NULL::uuid, r.id, r.recipient_name,
               r.national_id, r.commune_code, r.district_code, r.province_code, NULL::int, {amounts}
        FROM m JOIN payments.one_off_payments r ON r.id = m.rid
    """,
}

# A line never pays a negative total: a recovery larger than what the line pays is left as to_recover. What it pays
# is then reduced by the recipient's open to_recover balance (m.absorbed, never more than it pays).
_AMOUNTS = (
    "m.regular, m.arrears, m.recovery, m.carried, GREATEST(0, m.net) - m.absorbed, GREATEST(0, -m.net), m.absorbed"
)

_LINES = """
    , settled AS (
        SELECT rid,
               COALESCE(sum(amount) FILTER (WHERE kind = 'regular'), 0) AS regular,
               COALESCE(sum(amount) FILTER (WHERE kind = 'arrears'), 0) AS arrears,
               COALESCE(sum(amount) FILTER (WHERE kind = 'recovery'), 0) AS recovery,
               sum(amount) AS net
        FROM mo GROUP BY rid
    ),
    carried AS (  -- unpaid amounts of earlier payrolls (written by carry() just before): a line even without months
        SELECT recipient_id AS rid, sum(amount) AS amount FROM payments.payroll_carries
        WHERE payroll_id = CAST(:payroll_id AS uuid) GROUP BY recipient_id
    ),
    owed AS (  -- open to_recover balances left by approved payrolls (to_recover minus what lines already offset):
               -- few recipients, read through the partial index ix_ledger_entries_to_recover
        SELECT recipient_id AS rid, sum(amount) AS amount FROM payments.ledger_entries
        WHERE programme = :programme AND kind IN ('to_recover', 'to_recover_offset')
        GROUP BY recipient_id HAVING sum(amount) > 0
    ),
    n AS (
        SELECT COALESCE(s.rid, c.rid) AS rid, COALESCE(s.regular, 0) AS regular, COALESCE(s.arrears, 0) AS arrears,
               COALESCE(s.recovery, 0) AS recovery, COALESCE(c.amount, 0) AS carried,
               COALESCE(s.net, 0) + COALESCE(c.amount, 0) AS net
        FROM settled s FULL JOIN carried c ON c.rid = s.rid
    ),
    m AS (  -- the line absorbs as much of the open balance as it pays; the rest stays open for later payrolls
        SELECT n.*, LEAST(COALESCE(o.amount, 0), GREATEST(0, n.net)) AS absorbed
        FROM n LEFT JOIN owed o ON o.rid = n.rid
    )
    , li AS (
    INSERT INTO payments.payroll_lines (payroll_id, recipient_id, beneficiary_id, person_id, household_id,
        one_off_payment_id, recipient_name, national_id, commune_code, district_code, province_code, schedule_version,
        regular, arrears, recovery, carried, total, to_recover, to_recover_offset, id)
    {lines}
    RETURNING regular, arrears, recovery, carried, total, to_recover, to_recover_offset
    ),
    totals AS (  -- the control totals from the lines just written (not a second scan of payroll_lines)
        UPDATE payments.payrolls p SET line_count = t.n, amount = t.total, regular = t.regular, arrears = t.arrears,
               recovery = t.recovery, carried = t.carried, to_recover = t.to_recover,
               to_recover_offset = t.to_recover_offset
        FROM (SELECT count(*) AS n, COALESCE(sum(total), 0) AS total, COALESCE(sum(regular), 0) AS regular,
                     COALESCE(sum(arrears), 0) AS arrears, COALESCE(sum(recovery), 0) AS recovery,
                     COALESCE(sum(carried), 0) AS carried, COALESCE(sum(to_recover), 0) AS to_recover,
                     COALESCE(sum(to_recover_offset), 0) AS to_recover_offset
              FROM li) t
        WHERE p.id = CAST(:payroll_id AS uuid)
    )
    -- The largest entitled amount per service month, for the max_amount check (no second scan of the months).
    SELECT m AS service_month, max(entitled) AS entitled FROM mo GROUP BY m
"""

_SETTLE = """
    WITH scan AS ({scan}),
    entitled AS ({entitled}),
    allocated AS (
        SELECT l.recipient_id AS rid, l.service_month AS m, sum(l.amount) AS amount
        FROM scan sc
        JOIN payments.ledger_entries l ON l.programme = :programme AND l.recipient_id = sc.rid
             AND l.service_month >= sc.scan_from AND l.service_month <= CAST(:last AS date)
             AND l.kind IN ('regular', 'arrears', 'recovery')
        WHERE sc.full_scan
        GROUP BY 1, 2
    ),
    deltas AS (
        SELECT COALESCE(e.rid, a.rid) AS rid, COALESCE(e.m, a.m) AS m,
               COALESCE(e.amount, 0) AS entitled, COALESCE(a.amount, 0) AS allocated
        FROM entitled e FULL JOIN allocated a ON a.rid = e.rid AND a.m = e.m
    ),
    mo AS (  -- the months the lines settle, with how many each recipient has
        SELECT rid, m, CASE WHEN entitled < allocated THEN 'recovery'
                            WHEN m >= CAST(:first AS date) THEN 'regular' ELSE 'arrears' END AS kind,
               entitled, allocated, entitled - allocated AS amount, count(*) OVER (PARTITION BY rid) AS n
        FROM deltas WHERE entitled <> allocated
    ),
    ins AS (  -- every month but a plain one (see months_sql)
        INSERT INTO payments.payroll_line_months (payroll_id, recipient_id, service_month, kind, entitled, allocated,
                                                  amount)
        SELECT CAST(:payroll_id AS uuid), rid, m, kind, entitled, allocated, amount
        FROM mo WHERE NOT (n = 1 AND kind = 'regular' AND allocated = 0 AND m = CAST(:first AS date))
        ORDER BY rid, m  -- index order: the primary key grows in one place, not at random pages
    )
"""

_ONE_OFF = """
    WITH mo AS (
        SELECT o.id AS rid, CAST(:first AS date) AS m, 'regular' AS kind, o.amount AS entitled, 0::bigint AS allocated,
               o.amount AS amount
        FROM payments.one_off_payments o
        WHERE o.programme = :programme AND o.payroll_id IS NULL
          AND (o.period_from IS NULL OR o.period_from <= CAST(:last AS date))
    ),
    ins AS (  -- one row per payment, stored (few, and its month is never derived)
        INSERT INTO payments.payroll_line_months (payroll_id, recipient_id, service_month, kind, entitled, allocated,
                                                  amount)
        SELECT CAST(:payroll_id AS uuid), rid, m, kind, entitled, allocated, amount FROM mo
    )
"""


# Unpaid results of earlier payrolls of the programme not yet carried by an approved payroll (approval marks them),
# but not those of a suspended recipient (held) nor those held for a recipient since terminated (returned).
_CARRY = text(
    """
    INSERT INTO payments.payroll_carries (payroll_id, from_line_id, recipient_id, amount)
    SELECT :payroll_id, r.line_id, r.recipient_id, r.line_total
    FROM payments.line_results r
    WHERE """
    + CARRYABLE
    + """
"""
)


def generation_sql(kind: str) -> str:
    """One statement that writes a payroll's line months and its lines (one snapshot of the projection, so the
    version recorded on a line is the one its months were computed from)."""
    if kind == "one_off":
        head = _ONE_OFF
    else:
        head = _SETTLE.format(
            scan=_SCAN.format(source=_SOURCE[kind], columns=_SCAN_COLUMNS[kind]), entitled=_ENTITLED[kind]
        )
    # Lines in recipient order with time-ordered ids: each index of payroll_lines grows in a few places instead of at
    # random pages (a million lines: ~50 s → ~35 s on this machine).
    return head + _LINES.replace("{lines}", _LINE_FROM[kind].format(amounts=_AMOUNTS + ", " + LINE_ID) + "ORDER BY 2")


LINE_ID = uuid7_sql("row_number() OVER (ORDER BY m.rid)")
"""A line's id: a UUIDv7 (RFC 9562: milliseconds, then bits that make it unique) whose first 12 bytes are drawn once
per statement and whose last 4 count the lines in recipient order — ids increase with the lines, and a payroll's ids
follow the earlier ones. One random draw per statement, not per line: ``gen_random_uuid()`` costs ~4 µs of CPU a call
on the embedded server (a million lines: ~4 s). ``uuidv7()`` is built in only from PostgreSQL 18 (CI's server is 15)
and draws per call too. Two statements collide only within the same millisecond and the same 42 random bits."""

# A **plain month** is not stored: when a line settles exactly one month, the first of its period, as a regular month
# with nothing allocated before (an unchanged recipient's month: ~96 % of the benchmark month's lines),
# payroll_line_months has no row for it and the month is read from the line: service month = the period's first, kind
# regular, entitled = amount = the line's regular, allocated 0. So a line without stored months and with regular <> 0
# has exactly that month; a line without stored months and regular = 0 has none (it only carries unpaid amounts).
# One-off payments store their month. Every reader of a payroll's months goes through months_sql() (the API, the
# max_amount check) or its one-pass equivalent in ledger.repository._ISSUE.


def months_sql(recipients: bool = False) -> str:
    """The months of payroll ``:id``'s lines, stored and plain: ``(recipient_id, service_month, kind, entitled,
    allocated, amount)``; only those of ``:recipients`` (a uuid array) with ``recipients``."""
    stored = "AND m.recipient_id = ANY(CAST(:recipients AS uuid[]))" if recipients else ""
    plain = "AND l.recipient_id = ANY(CAST(:recipients AS uuid[]))" if recipients else ""
    return f"""
    SELECT m.recipient_id, m.service_month, m.kind, m.entitled, m.allocated, m.amount
    FROM payments.payroll_line_months m
    WHERE m.payroll_id = :id {stored}
    UNION ALL
    SELECT l.recipient_id, p.period_first, 'regular', l.regular, 0, l.regular
    FROM payments.payroll_lines l JOIN payments.payrolls p ON p.id = l.payroll_id
    WHERE l.payroll_id = :id AND l.regular <> 0 {plain}
      AND NOT EXISTS (SELECT 1 FROM payments.payroll_line_months s
                      WHERE s.payroll_id = l.payroll_id AND s.recipient_id = l.recipient_id)
"""


async def fill(session: AsyncSession, payroll: Payroll, kind: str, *, force_full: bool) -> Sequence[Row[Any]]:
    """Compute the payroll's lines from the projection and the ledger (plus the unpaid amounts it carries), and its
    control totals; the largest entitled amount per service month ``(service_month, entitled)``."""
    await session.execute(
        _CARRY, {"payroll_id": payroll.id, "programme": payroll.programme, "first": payroll.period_first}
    )
    # Sorts and hashes of a large payroll stay in memory (the default 4 MB spills a million rows to disk).
    await session.execute(text("SET LOCAL work_mem = '128MB'"))
    tops = (
        await session.execute(
            text(generation_sql(kind)),
            {
                "payroll_id": payroll.id,
                "programme": payroll.programme,
                "first": payroll.period_first,
                "last": payroll.period_last,
                "acc": payroll.accounting_from,
                "force_full": force_full,
            },
        )
    ).all()
    await session.execute(text("RESET work_mem"))
    return tops


_LIMITS = """
    WITH lim AS (
        SELECT valid_from, lead(valid_from) OVER (ORDER BY valid_from) AS valid_to, value
        FROM payments.programme_parameters WHERE programme = :programme AND name = 'max_amount'
    )
"""


async def over_limit(
    session: AsyncSession, payroll: Payroll, tops: Sequence[Row[Any]], limit: int
) -> Sequence[Row[Any]]:
    """Up to ``limit`` line months of the payroll whose entitled amount is above the programme's ``max_amount`` in
    force in that service month: ``(recipient_id, service_month, entitled, max_amount)``.

    ``tops`` is the largest entitled amount per service month (the generation statement returns it), joined here to
    the few ranges of the parameter; only when a month is over its limit are its line months looked at one by one."""
    if not tops:
        return []
    params = {"programme": payroll.programme, "id": payroll.id}
    months = (
        await session.execute(
            text(
                _LIMITS
                + """
        SELECT top.service_month, lim.value
        FROM unnest(CAST(:months AS date[]), CAST(:tops AS bigint[])) AS top(service_month, entitled)
        JOIN lim ON top.service_month >= lim.valid_from AND (lim.valid_to IS NULL OR top.service_month < lim.valid_to)
        WHERE top.entitled > lim.value
    """
            ),
            {**params, "months": [t.service_month for t in tops], "tops": [t.entitled for t in tops]},
        )
    ).all()
    if not months:
        return []
    return (
        await session.execute(
            text(
                "WITH m AS ("
                + months_sql()
                + """)
        SELECT m.recipient_id, m.service_month, m.entitled, t.max_amount
        FROM m
        JOIN unnest(CAST(:months AS date[]), CAST(:limits AS numeric[])) AS t(service_month, max_amount)
             ON t.service_month = m.service_month
        WHERE m.entitled > t.max_amount
        ORDER BY m.recipient_id, m.service_month LIMIT :limit
    """
            ),
            {**params, "months": [m for m, _ in months], "limits": [v for _, v in months], "limit": limit},
        )
    ).all()


async def clear_lines(session: AsyncSession, payroll_id: uuid.UUID) -> None:
    await session.execute(text("DELETE FROM payments.payroll_carries WHERE payroll_id = :id"), {"id": payroll_id})
    await session.execute(text("DELETE FROM payments.payroll_line_months WHERE payroll_id = :id"), {"id": payroll_id})
    await session.execute(text("DELETE FROM payments.payroll_lines WHERE payroll_id = :id"), {"id": payroll_id})


# --- approval ---------------------------------------------------------------------------------------------------

# One MERGE: the payroll's lines joined to the settlements (a hash or merge join), matched rows updated, the few new
# recipients inserted. An INSERT … ON CONFLICT DO UPDATE of every recipient probes the primary key and inserts
# speculatively row by row: ~0.55 s of CPU for 33,200 here, against ~0.2 s. The payroll's programme and last month
# are parameters, not a join to payrolls (a nested loop probing it once per line: ~1 s of CPU for a million).
_SETTLEMENTS = text("""
    MERGE INTO payments.settlements s
    USING (SELECT l.recipient_id, l.schedule_version
           FROM payments.payroll_lines l
           WHERE l.payroll_id = :id AND l.schedule_version IS NOT NULL) AS n
    ON s.programme = :programme AND s.recipient_id = n.recipient_id
    WHEN MATCHED THEN UPDATE SET settled_version = n.schedule_version, settled_through = :last, payroll_id = :id
    WHEN NOT MATCHED THEN INSERT (programme, recipient_id, settled_version, settled_through, payroll_id)
                          VALUES (:programme, n.recipient_id, n.schedule_version, :last, :id)
""")


async def settle(session: AsyncSession, payroll: Payroll) -> None:
    """On approval: recipients are settled through the period with the version their line was computed from."""
    # New rows, not yet analyzed: without this the planner joins by nested loop (see ``ledger.repository.issue``).
    await session.execute(text("SET LOCAL enable_nestloop = off"))
    await session.execute(_SETTLEMENTS, {"id": payroll.id, "programme": payroll.programme, "last": payroll.period_last})
    await session.execute(text("RESET enable_nestloop"))


# --- reads and guards ---------------------------------------------------------------------------------------------


async def lock_programme(session: AsyncSession, programme: str) -> None:
    """Serialise generation and approval within a programme (released at commit)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"payments.payrolls:{programme}"})


async def add(session: AsyncSession, payroll: Payroll) -> None:
    await flush_in_savepoint(session, payroll)


async def get(session: AsyncSession, payroll_id: uuid.UUID, *, for_update: bool = False) -> Payroll | None:
    stmt = select(Payroll).where(Payroll.id == payroll_id).execution_options(populate_existing=True)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def by_period(session: AsyncSession, programme: str, period: str) -> Payroll | None:
    return await session.scalar(select(Payroll).where(Payroll.programme == programme, Payroll.period == period))


async def pending(session: AsyncSession, programme: str) -> Payroll | None:
    return await session.scalar(
        select(Payroll).where(Payroll.programme == programme, Payroll.state.in_(("generated", "reviewed"))).limit(1)
    )


async def latest_approved(session: AsyncSession, programme: str) -> Payroll | None:
    return await session.scalar(
        select(Payroll)
        .where(Payroll.programme == programme, Payroll.state.in_(("approved", "locked")))
        .order_by(Payroll.period_first.desc())
        .limit(1)
    )


async def first_period(session: AsyncSession, programme: str) -> date | None:
    return await session.scalar(select(func.min(Payroll.period_first)).where(Payroll.programme == programme))


async def search(
    session: AsyncSession,
    *,
    programme: str | None,
    state: str | None,
    after: tuple[str, str, uuid.UUID] | None,
    limit: int,
) -> Sequence[Payroll]:
    stmt = select(Payroll)
    if programme:
        stmt = stmt.where(Payroll.programme == programme)
    if state:
        stmt = stmt.where(Payroll.state == state)
    if after is not None:  # newest period first
        stmt = stmt.where(
            tuple_(Payroll.period_first, Payroll.programme, Payroll.id)
            < tuple_(literal(date.fromisoformat(after[0])), literal(after[1]), literal(after[2]))
        )
    stmt = stmt.order_by(Payroll.period_first.desc(), Payroll.programme.desc(), Payroll.id.desc()).limit(limit)
    return (await session.scalars(stmt)).all()


async def lines(
    session: AsyncSession,
    payroll_id: uuid.UUID,
    *,
    areas: Sequence[str] | None,
    commune_code: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> Sequence[PayrollLine]:
    stmt = select(PayrollLine).where(PayrollLine.payroll_id == payroll_id)
    if areas is not None:
        stmt = stmt.where(in_areas(PayrollLine, areas))
    if commune_code:
        stmt = stmt.where(PayrollLine.commune_code == commune_code)
    if after is not None:
        stmt = stmt.where(
            tuple_(PayrollLine.commune_code, PayrollLine.id) > tuple_(literal(after[0]), literal(after[1]))
        )
    stmt = stmt.order_by(PayrollLine.commune_code, PayrollLine.id).limit(limit)
    return (await session.scalars(stmt)).all()


async def line_months(
    session: AsyncSession, payroll_id: uuid.UUID, recipients: Sequence[uuid.UUID]
) -> Sequence[Row[Any]]:
    """The months of the lines of ``recipients``, stored or plain (see ``months_sql``), in recipient and month order:
    ``(recipient_id, service_month, kind, entitled, allocated, amount)``."""
    return (
        await session.execute(
            text(
                "WITH m AS ("
                + months_sql(recipients=True)
                + """)
        SELECT m.recipient_id, m.service_month, m.kind, m.entitled, m.allocated, m.amount FROM m
        ORDER BY m.recipient_id, m.service_month
    """
            ),
            {"id": payroll_id, "recipients": list(recipients)},
        )
    ).all()


async def ledger_total(session: AsyncSession, payroll_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.payroll_id == payroll_id)
        )
        or 0
    )
