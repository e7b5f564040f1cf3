"""Use cases of postal disbursement: split an approved payroll into batches, list and read them (area-limited),
record results (API or file, set-based). Never commits.

A result is recorded once per line: the first report stands. The same result again changes nothing
(``unchanged``); another one is a ``reported_twice`` exception for an officer (``conflict``); a result for a line
that is not in the batch is an ``unknown_line`` exception; a paid amount other than the line's is recorded as
reported and raises an ``amount_mismatch`` exception. Nothing is corrected silently.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import visible_or_404
from common.auth import Principal
from common.errors import NotFound, ValidationFailed
from common.pagination import cursor_if_full, keyset

from ..events import (
    BATCH_READY,
    EVENTS,
    LINE_PAID,
    LINE_UNPAID,
    UNPAID_3_MONTHS,
    BatchReady,
    BeneficiaryUnpaid3Months,
    LinePaid,
    LineUnpaid,
)
from ..ledger import service as ledger
from ..models import Batch, LineResult, Payroll
from ..programmes import repository as programmes
from ..reconciliation import service as reconciliation
from ..rules import postal
from ..rules.periods import month_text
from . import files, repository
from .schemas import BatchOut, ItemOut, LineResultIn, ResultsOut

COMPARED = ("outcome", "paid_on", "paid_to", "proxy_name", "receipt_number", "amount", "reason")
"""What makes two reports of a line the same (a note may differ)."""


def location(batch_id: uuid.UUID) -> str:
    return f"/payments/batches/{batch_id}"


def out(b: Batch) -> BatchOut:
    return BatchOut(
        id=b.id,
        payroll_id=b.payroll_id,
        programme=b.programme,
        period=b.period,
        commune_code=b.commune_code,
        district_code=b.district_code,
        province_code=b.province_code,
        status=b.status,  # type: ignore[arg-type]
        deadline=b.deadline,
        line_count=b.line_count,
        amount=b.amount,
        paid_count=b.paid_count,
        paid_amount=b.paid_amount,
        unpaid_count=b.unpaid_count,
        unpaid_amount=b.unpaid_amount,
        returned_count=b.returned_count,
        returned_amount=b.returned_amount,
        fee_percent=str(b.fee_percent),
        fee=b.fee,
        download=f"{location(b.id)}/download",
    )


# --- approval ------------------------------------------------------------------------------------------------------


async def on_approval(session: AsyncSession, payroll: Payroll) -> None:
    """Called by payroll approval, in its transaction: the unpaid amounts the payroll carries are marked carried (and
    written to the ledger), the payroll is split into one batch per commune, and each batch is announced."""
    fee_percent = await programmes.value_in(
        session, payroll.programme, "postal_fee_percent", payroll.period_first
    ) or Decimal(0)
    deadline = postal.deadline(payroll.period_first)
    await repository.mark_carried(session, payroll.id)
    await ledger.carried_in(session, payroll.id)
    rows = await repository.split(session, payroll, deadline, fee_percent)
    await EVENTS.publish_many(
        session,
        BATCH_READY,
        [
            (
                str(r.id),
                BatchReady(
                    batch_id=r.id,
                    payroll_id=payroll.id,
                    programme=payroll.programme,
                    period=payroll.period,
                    commune_code=r.commune_code,
                    district_code=r.district_code,
                    province_code=r.province_code,
                    line_count=r.line_count,
                    amount=r.amount,
                    deadline=deadline,
                    fee_percent=str(fee_percent),
                    download=f"{location(r.id)}/download",
                ),
            )
            for r in rows
        ],
    )


async def settle_held(session: AsyncSession, payroll: Payroll) -> None:
    """Called by payroll approval, before ``on_approval``: hold the unpaid amounts of suspended recipients that the
    payroll does not carry, release the held amounts its lines carry, return to the budget those of recipients
    terminated (or dead) since they were held — each with its pair of ledger entries."""
    held = await repository.hold(session, payroll.id, payroll.programme, payroll.period_first)
    await ledger.move_held(session, payroll.id, held, "carried", "held")
    await ledger.release_held(session, payroll.id)
    returned = await repository.return_held(session, payroll.id, payroll.programme)
    await ledger.move_held(session, payroll.id, returned, "held", "returned")


async def results_since_generation(session: AsyncSession, payroll: Payroll) -> int:
    """Unpaid results of earlier payrolls reported since the payroll was generated (it does not carry them): approving
    it as is would carry them a payroll later while it may recover the same months, so it is regenerated first."""
    return await repository.results_since_generation(session, payroll.id, payroll.programme, payroll.period_first)


# --- reading -------------------------------------------------------------------------------------------------------


async def get_visible(
    session: AsyncSession, principal: Principal, batch_id: uuid.UUID, *, for_update: bool = False
) -> Batch:
    batch = await repository.get(session, batch_id, for_update=for_update)
    batch = visible_or_404(principal, batch, f"batch {batch_id}")
    return batch


async def search(
    session: AsyncSession,
    principal: Principal,
    *,
    payroll_id: uuid.UUID | None,
    status: str | None,
    commune_code: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Batch], str | None]:
    after = keyset(cursor, str, uuid.UUID)
    rows = list(
        await repository.search(
            session,
            areas=principal.limited_to,
            payroll_id=payroll_id,
            status=status,
            commune_code=commune_code,
            after=after,
            limit=limit,
        )
    )
    next_cursor = cursor_if_full(rows, limit, lambda b: [b.commune_code, str(b.id)])
    return rows, next_cursor


# --- results -------------------------------------------------------------------------------------------------------


def _reported(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item.get(k) for k in (*COMPARED, "note")}


def _stored(r: LineResult) -> dict[str, Any]:
    return {k: getattr(r, k) for k in (*COMPARED, "note")}


def issued_on(batch: Batch) -> date:
    """The Viet Nam day the batch was issued (split from its approved payroll)."""
    return clock.to_vietnam_date(batch.created_at)


def paid_on_problems(batch: Batch, items: Sequence[dict[str, Any]]) -> list[tuple[int, str]]:
    """``(index, reason)`` of each item whose ``paid_on`` is after today (Viet Nam) or before the batch was issued."""
    issued, today = issued_on(batch), clock.today()
    found = [(i, postal.paid_on_problem(item.get("paid_on"), issued, today)) for i, item in enumerate(items)]
    return [(i, reason) for i, reason in found if reason is not None]


async def record(
    session: AsyncSession,
    principal: Principal,
    batch: Batch,
    results: Sequence[LineResultIn] | Sequence[dict[str, Any]],
    paid_on_field: str = "body.results.{i}.paid_on",
    known: set[uuid.UUID] | None = None,
) -> ResultsOut:
    """Record results for lines of ``batch`` (already locked by the caller), set-based. ``known``: which of the
    lines are the batch's, when the caller has read them already (a file)."""
    items = [r.model_dump() if isinstance(r, LineResultIn) else r for r in results]
    wrong_days = paid_on_problems(batch, items)
    if wrong_days:
        raise ValidationFailed([{"field": paid_on_field.format(i=i), "reason": reason} for i, reason in wrong_days])
    lines = [i["line_id"] for i in items]
    if len(set(lines)) != len(lines):
        seen: set[uuid.UUID] = set()
        twice = sorted({str(x) for x in lines if x in seen or seen.add(x)})  # type: ignore[func-returns-value]
        raise ValidationFailed([{"field": "body.results", "reason": f"line {x} is listed twice"} for x in twice])
    if known is None:
        known = await repository.known_lines(session, batch, lines)
    recorded = await repository.insert_results(
        session, batch, [i for i in items if i["line_id"] in known], principal.client_id
    )
    reported_before = [x for x in lines if x in known and x not in recorded]
    earlier = {r.line_id: r for r in await repository.results(session, reported_before)} if reported_before else {}
    statuses: list[ItemOut] = []
    raised: list[dict[str, Any]] = []
    for item in items:
        line_id = item["line_id"]
        if line_id not in known:
            statuses.append(ItemOut(line_id=line_id, status="unknown_line", exception_kinds=["unknown_line"]))
            raised.append(
                {
                    "kind": "unknown_line",
                    "line_id": line_id,
                    "expected": None,
                    "reported": item.get("amount"),
                    "detail": {"reported": _reported(item)},
                }
            )
        elif line_id in earlier:
            stands = earlier[line_id]
            if all(getattr(stands, k) == item.get(k) for k in COMPARED):
                statuses.append(ItemOut(line_id=line_id, status="unchanged"))
            else:
                statuses.append(ItemOut(line_id=line_id, status="conflict", exception_kinds=["reported_twice"]))
                raised.append(
                    {
                        "kind": "reported_twice",
                        "line_id": line_id,
                        "expected": stands.amount,
                        "reported": item.get("amount"),
                        "detail": {"stands": _stored(stands), "reported": _reported(item)},
                    }
                )
    await reconciliation.raise_for_items(session, batch, raised, principal.client_id)
    mismatches = 0
    if recorded:
        ids = sorted(recorded)
        await ledger.results(session, ids)
        await reconciliation.raise_amount_mismatches(session, ids, principal.client_id)
        rows = await repository.event_rows(session, ids)
        mismatched = [r.line_id for r in rows if r.outcome == "paid" and r.amount != r.line_total]
        mismatches = len(mismatched)
        statuses += [ItemOut(line_id=x, status="recorded", exception_kinds=["amount_mismatch"]) for x in mismatched]
        await _publish_results(session, batch, rows)
        await _unpaid_streaks(session, ids)
    await repository.refresh(session, batch.id)
    refreshed = await repository.get(session, batch.id)
    assert refreshed is not None
    return ResultsOut(
        batch_id=batch.id,
        recorded=len(recorded),
        unchanged=sum(s.status == "unchanged" for s in statuses),
        conflicts=sum(s.status == "conflict" for s in statuses),
        unknown_lines=sum(s.status == "unknown_line" for s in statuses),
        exceptions=len(raised) + mismatches,
        items=statuses,
        batch=out(refreshed),
    )


async def _publish_results(session: AsyncSession, batch: Batch, rows: Sequence[Any]) -> None:
    def common(r: Any) -> dict[str, Any]:
        return {
            "line_id": r.line_id,
            "batch_id": batch.id,
            "payroll_id": batch.payroll_id,
            "programme": batch.programme,
            "period": batch.period,
            "recipient_id": r.recipient_id,
            "beneficiary_id": r.beneficiary_id,
            "person_id": r.person_id,
            "line_total": r.line_total,
            "commune_code": r.commune_code,
            "district_code": r.district_code,
            "province_code": r.province_code,
            "one_off_payment_id": r.one_off_payment_id,
        }

    await EVENTS.publish_many(
        session,
        LINE_PAID,
        [
            (
                str(r.line_id),
                LinePaid(
                    **common(r),
                    paid_on=r.paid_on,
                    paid_to=r.paid_to,
                    proxy_name=r.proxy_name,
                    receipt_number=r.receipt_number,
                    amount=r.amount,
                ),
            )
            for r in rows
            if r.outcome == "paid"
        ],
    )
    await EVENTS.publish_many(
        session,
        LINE_UNPAID,
        [
            (str(r.line_id), LineUnpaid(**common(r), outcome=r.outcome, reason=r.reason))
            for r in rows
            if r.outcome != "paid"
        ],
    )


def _next_month(first: date, months: int) -> date:
    total = first.year * 12 + first.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


async def _unpaid_streaks(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    rows = await repository.unpaid_streaks(session, ids)
    await EVENTS.publish_many(
        session,
        UNPAID_3_MONTHS,
        [
            (
                str(r.recipient_id),
                BeneficiaryUnpaid3Months(
                    beneficiary_id=r.recipient_id,
                    person_id=r.person_id,
                    programme=r.programme,
                    periods=[month_text(_next_month(r.first, k)) for k in range(3)],
                    suspend_from=month_text(_next_month(r.last_period, 1)),
                    amount_not_received=int(r.amount),
                    commune_code=r.commune_code,
                    district_code=r.district_code,
                    province_code=r.province_code,
                ),
            )
            for r in rows
        ],
    )


async def record_line(
    session: AsyncSession, principal: Principal, line_id: uuid.UUID, body: dict[str, Any]
) -> ResultsOut:
    batch_id = await repository.line_batch(session, line_id)
    if batch_id is None:
        raise NotFound(f"no line {line_id} in a batch")
    batch = await get_visible(session, principal, batch_id, for_update=True)
    return await record(session, principal, batch, [{**body, "line_id": line_id}], paid_on_field="body.paid_on")


async def record_file(
    session: AsyncSession, principal: Principal, batch_id: uuid.UUID, body: bytes, content_type: str | None
) -> ResultsOut:
    """A batch file filled in: applied whole or not at all (any problem → 422 listing every problem)."""
    batch = await get_visible(session, principal, batch_id, for_update=True)
    rows, header = files.read_results(body, content_type)
    known = await repository.known_lines(session, batch, [item["line_id"] for _, item in rows])
    files.unknown_lines(rows, known, header)
    files.wrong_days(rows, paid_on_problems(batch, [item for _, item in rows]), header)
    return await record(session, principal, batch, [item for _, item in rows], known=known)
