"""Use cases of payrolls: generate, regenerate, review, approve (maker-checker), lock, read. Never commits.

States: ``generated → reviewed → approved → locked``. Before approval a payroll may be regenerated from the
latest projection (it goes back to ``generated``); from approval on it is immutable and its amounts are in the
ledger. Within a programme, periods are approved in order and one payroll at a time waits for approval: a
payroll's arrears are computed against what earlier approved payrolls issued, so two pending payrolls of one
programme could both pay the same arrears.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import UniqueViolation
from common.errors import Conflict, MakerChecker, NotFound, PreconditionFailed, ValidationFailed
from common.ids import uuid7
from common.pagination import cursor_if_full, keyset

from ..disbursement import service as disbursement
from ..events import EVENTS, PAYROLL_APPROVED, PayrollApproved
from ..ledger import service as ledger
from ..models import Payroll, PayrollLine, Programme
from ..one_off import service as one_off
from ..programmes import service as programmes
from ..rules.periods import Frequency, month_text, parse_period
from . import repository
from .exceptions import (
    AmountOverLimit,
    PayrollExists,
    PayrollImmutable,
    PayrollOrder,
    PayrollPending,
    PayrollStale,
    PayrollState,
)
from .schemas import ControlTotals, LineMonthOut, LineOut, PayrollOut

EDITABLE = ("generated", "reviewed")


def location(payroll_id: uuid.UUID) -> str:
    return f"/payments/payrolls/{payroll_id}"


def etag(payroll: Payroll) -> str:
    return f'"{payroll.version}"'


def out(p: Payroll) -> PayrollOut:
    return PayrollOut(
        id=p.id,
        programme=p.programme,
        period=p.period,
        state=p.state,
        version=p.version,  # type: ignore[arg-type]
        accounting_from=month_text(p.accounting_from),
        totals=ControlTotals(
            line_count=p.line_count,
            amount=p.amount,
            regular=p.regular,
            arrears=p.arrears,
            recovery=p.recovery,
            carried=p.carried,
            to_recover=p.to_recover,
            to_recover_offset=p.to_recover_offset,
        ),
        generated_at=p.generated_at,
        generated_by=p.generated_by,
        reviewed_at=p.reviewed_at,
        reviewed_by=p.reviewed_by,
        approved_at=p.approved_at,
        approved_by=p.approved_by,
        locked_at=p.locked_at,
        locked_by=p.locked_by,
        lines=f"{location(p.id)}/lines",
    )


def _exists(p: Payroll) -> Conflict:
    return PayrollExists(
        f"the {p.programme} payroll for {p.period} already exists ({p.state})", existing=location(p.id)
    )


async def _within_limits(session: AsyncSession, payroll: Payroll, tops: Sequence[Row[Any]]) -> None:
    """409 ``amount-over-limit`` (and nothing generated) when a recipient is entitled, for one service month, to more
    than the programme's ``max_amount`` in force that month: a wrong amount is found before anyone is paid it.
    ``tops``: the largest entitled amount per service month of the payroll."""
    found = await repository.over_limit(session, payroll, tops, 20)
    if found:
        raise AmountOverLimit(
            f"{len(found)}{'+' if len(found) == 20 else ''} service month(s) above the {payroll.programme} programme's "
            "max_amount: check the amounts (or the limit) before generating the payroll",
            over_limit=[
                {
                    "recipient_id": str(r.recipient_id),
                    "month": month_text(r.service_month),
                    "entitled": int(r.entitled),
                    "max_amount": int(r.max_amount),
                }
                for r in found
            ],
        )


async def _fill(session: AsyncSession, payroll: Payroll, programme: Programme) -> Payroll:
    payroll.parameters_version = programme.parameters_version
    await session.flush()
    latest = await repository.latest_approved(session, programme.code)
    force_full = latest is None or latest.parameters_version != programme.parameters_version
    tops = await repository.fill(session, payroll, programme.kind, force_full=force_full)
    if programme.kind != "one_off":  # one-off payments are bounded when they are created
        await _within_limits(session, payroll, tops)
    refreshed = await repository.get(session, payroll.id)
    assert refreshed is not None
    return refreshed


async def generate(session: AsyncSession, principal: Principal, programme_code: str, period_text: str) -> Payroll:
    programme = await programmes.get(session, programme_code)
    try:
        period = parse_period(period_text, Frequency(programme.frequency))
    except ValueError as exc:
        raise ValidationFailed([{"field": "body.period", "reason": str(exc)}]) from None
    await repository.lock_programme(session, programme.code)
    existing = await repository.by_period(session, programme.code, period.text)
    if existing is not None:
        raise _exists(existing)
    waiting = await repository.pending(session, programme.code)
    if waiting is not None:
        raise PayrollPending(
            f"the {programme.code} payroll for {waiting.period} is not approved yet: approve it (or "
            "regenerate it) first — arrears are computed against approved payrolls",
            existing=location(waiting.id),
        )
    latest = await repository.latest_approved(session, programme.code)
    if latest is not None and latest.period_first >= period.first:
        raise PayrollOrder(
            f"{programme.code} payrolls are generated in order: {latest.period} is already approved; "
            "months before it are settled as arrears or recoveries in a later period",
            existing=location(latest.id),
        )
    first = await repository.first_period(session, programme.code)
    accounting_from: date = programme.accounting_from or min(first or period.first, period.first)
    payroll = Payroll(
        id=uuid7(),  # time-ordered: the indexes keyed by payroll (lines, months, batches) grow at their right edge
        programme=programme.code,
        period=period.text,
        period_first=period.first,
        period_last=period.last,
        state="generated",
        version=1,
        accounting_from=accounting_from,
        parameters_version=programme.parameters_version,
        generated_by=principal.client_id,
    )
    try:
        await repository.add(session, payroll)
    except UniqueViolation as exc:  # a concurrent request got there first (the advisory lock makes this rare)
        winner = await repository.by_period(session, programme.code, period.text)
        if winner is None:
            raise
        raise _exists(winner) from exc
    return await _fill(session, payroll, programme)


async def get(session: AsyncSession, payroll_id: uuid.UUID, *, for_update: bool = False) -> Payroll:
    payroll = await repository.get(session, payroll_id, for_update=for_update)
    if payroll is None:
        raise NotFound(f"no payroll {payroll_id}")
    return payroll


def _check_version(payroll: Payroll, if_match: str | None) -> None:
    if if_match is not None and if_match.strip() not in (etag(payroll), "*"):
        raise PreconditionFailed(
            f"the payroll changed (now {etag(payroll)}): read it again before acting on it", current_etag=etag(payroll)
        )


async def _editable(session: AsyncSession, payroll_id: uuid.UUID, if_match: str | None, action: str) -> Payroll:
    payroll = await get(session, payroll_id, for_update=True)
    _check_version(payroll, if_match)
    if payroll.state not in EDITABLE:
        raise PayrollImmutable(f"an {payroll.state} payroll is immutable: it cannot be {action}", state=payroll.state)
    return payroll


async def regenerate(
    session: AsyncSession, principal: Principal, payroll_id: uuid.UUID, if_match: str | None
) -> Payroll:
    payroll = await get(session, payroll_id)
    await repository.lock_programme(session, payroll.programme)
    payroll = await _editable(session, payroll_id, if_match, "regenerated")
    programme = await programmes.get(session, payroll.programme)
    await repository.clear_lines(session, payroll.id)
    payroll.state = "generated"
    payroll.version += 1
    payroll.generated_by = principal.client_id
    payroll.generated_at = datetime.now(UTC)
    payroll.reviewed_at = payroll.reviewed_by = None
    await session.flush()
    return await _fill(session, payroll, programme)


async def review(session: AsyncSession, principal: Principal, payroll_id: uuid.UUID, if_match: str | None) -> Payroll:
    payroll = await _editable(session, payroll_id, if_match, "reviewed")
    if payroll.state != "generated":
        raise PayrollState("the payroll is already reviewed", state=payroll.state)
    payroll.state, payroll.version = "reviewed", payroll.version + 1
    payroll.reviewed_by, payroll.reviewed_at = principal.client_id, datetime.now(UTC)
    await session.flush()
    return payroll


async def approve(session: AsyncSession, principal: Principal, payroll_id: uuid.UUID, if_match: str | None) -> Payroll:
    payroll = await get(session, payroll_id)
    await repository.lock_programme(session, payroll.programme)
    payroll = await _editable(session, payroll_id, if_match, "approved again")
    if payroll.state != "reviewed":
        raise PayrollState("a payroll is reviewed before it is approved", state=payroll.state)
    if principal.client_id == payroll.generated_by:
        raise MakerChecker(f"maker-checker: {principal.client_id} generated this payroll; another client approves it")
    stale = await disbursement.results_since_generation(session, payroll)
    if stale:
        raise PayrollStale(
            f"results arrived since generation; regenerate ({stale} unpaid result(s) of earlier "
            "payrolls are not carried by this payroll)",
            unpaid_results=stale,
        )
    await ledger.issue(session, payroll.id)
    await repository.settle(session, payroll)
    await one_off.mark_issued(session, payroll.id)
    await disbursement.settle_held(session, payroll)
    await disbursement.on_approval(session, payroll)
    payroll.state, payroll.version = "approved", payroll.version + 1
    payroll.approved_by, payroll.approved_at = principal.client_id, datetime.now(UTC)
    await session.flush()
    await EVENTS.publish(
        session,
        PAYROLL_APPROVED,
        str(payroll.id),
        PayrollApproved(
            payroll_id=payroll.id,
            programme=payroll.programme,
            period=payroll.period,
            line_count=payroll.line_count,
            amount=payroll.amount,
            regular=payroll.regular,
            arrears=payroll.arrears,
            recovery=payroll.recovery,
            carried=payroll.carried,
            to_recover=payroll.to_recover,
            to_recover_offset=payroll.to_recover_offset,
            generated_by=payroll.generated_by,
            approved_by=principal.client_id,
        ),
    )
    return payroll


async def lock(session: AsyncSession, principal: Principal, payroll_id: uuid.UUID, if_match: str | None) -> Payroll:
    payroll = await get(session, payroll_id, for_update=True)
    _check_version(payroll, if_match)
    if payroll.state != "approved":
        raise PayrollState(f"only an approved payroll can be locked (this one is {payroll.state})", state=payroll.state)
    payroll.state, payroll.version = "locked", payroll.version + 1
    payroll.locked_by, payroll.locked_at = principal.client_id, datetime.now(UTC)
    await session.flush()
    return payroll


async def search(
    session: AsyncSession, *, programme: str | None, state: str | None, cursor: str | None, limit: int
) -> tuple[list[Payroll], str | None]:
    after = keyset(cursor, str, str, uuid.UUID)
    rows = list(await repository.search(session, programme=programme, state=state, after=after, limit=limit))
    return rows, cursor_if_full(rows, limit, lambda p: [p.period_first.isoformat(), p.programme, str(p.id)])


async def lines(
    session: AsyncSession,
    principal: Principal,
    payroll_id: uuid.UUID,
    *,
    commune_code: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[LineOut], str | None]:
    await get(session, payroll_id)
    after = keyset(cursor, str, uuid.UUID)
    rows = list(
        await repository.lines(
            session, payroll_id, areas=principal.limited_to, commune_code=commune_code, after=after, limit=limit
        )
    )
    months = await repository.line_months(session, payroll_id, [r.recipient_id for r in rows])
    by_recipient: dict[uuid.UUID, list[LineMonthOut]] = {}
    for m in months:
        by_recipient.setdefault(m.recipient_id, []).append(
            LineMonthOut(
                month=month_text(m.service_month),
                kind=m.kind,
                entitled=m.entitled,  # type: ignore[arg-type]
                allocated=m.allocated,
                amount=m.amount,
            )
        )
    items = [_line(r, by_recipient.get(r.recipient_id, [])) for r in rows]
    return items, cursor_if_full(rows, limit, lambda line: [line.commune_code, str(line.id)])


def _line(r: PayrollLine, months: list[LineMonthOut]) -> LineOut:
    return LineOut(
        id=r.id,
        recipient_id=r.recipient_id,
        beneficiary_id=r.beneficiary_id,
        person_id=r.person_id,
        household_id=r.household_id,
        one_off_payment_id=r.one_off_payment_id,
        recipient_name=r.recipient_name,
        national_id=r.national_id,
        commune_code=r.commune_code,
        district_code=r.district_code,
        province_code=r.province_code,
        regular=r.regular,
        arrears=r.arrears,
        recovery=r.recovery,
        carried=r.carried,
        total=r.total,
        to_recover=r.to_recover,
        to_recover_offset=r.to_recover_offset,
        months=months,
    )
