"""Use cases of emergency relief: an officer decides (amount at least the minimum in force for the kind, food as
rice in kind), another client approves, and the approved cash becomes a one-off payment of the ``emergency``
programme. Never commits."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import visible_or_404
from common.auth import Principal
from common.errors import MakerChecker, ValidationFailed
from common.pagination import cursor_if_full, keyset
from common.units import place_for_write

from ..models import EmergencyRelief, OneOffPayment
from ..one_off import service as one_off
from ..programmes import repository as programmes
from ..programmes import service as programmes_service
from ..rules.periods import month_text
from . import repository
from .exceptions import ReliefApproved
from .schemas import EmergencyReport, KindTotals, ReliefIn, ReliefOut

PROGRAMME = "emergency"
KINDS = ("funeral", "injury", "house_destroyed", "house_damaged", "relocation", "food")
LABELS = {
    "funeral": "Hỗ trợ chi phí mai táng",
    "injury": "Hỗ trợ người bị thương nặng",
    "house_destroyed": "Hỗ trợ làm nhà ở (nhà bị sập, đổ, trôi, cháy hoàn toàn)",
    "house_damaged": "Hỗ trợ sửa chữa nhà ở bị hư hỏng nặng",
    "relocation": "Hỗ trợ di dời nhà ở khẩn cấp",
    "food": "Hỗ trợ lương thực",
}
"""The relief's name as it appears on the payment and in reports (Decree 20/2021 Art. 11-15)."""


def location(relief_id: uuid.UUID) -> str:
    return f"/payments/emergency-reliefs/{relief_id}"


def out(row: EmergencyRelief, payment: OneOffPayment | None) -> ReliefOut:
    return ReliefOut(
        id=row.id,
        kind=row.kind,
        person_id=row.person_id,
        household_id=row.household_id,
        recipient_name=row.recipient_name,
        national_id=row.national_id,
        commune_code=row.commune_code,
        district_code=row.district_code,
        province_code=row.province_code,
        disaster=row.disaster,
        occurred_on=row.occurred_on,
        amount=row.amount,
        rice_kg=row.rice_kg,
        persons=row.persons,
        months=row.months,
        decision=row.decision,
        decided_on=row.decided_on,
        status=row.status,
        one_off_payment_id=row.one_off_payment_id,
        payment_status=None if payment is None else ("issued" if payment.payroll_id else "pending"),
        created_by=row.created_by,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
    )


async def _with_payment(session: AsyncSession, row: EmergencyRelief) -> ReliefOut:
    found = await repository.payments(session, [row.one_off_payment_id] if row.one_off_payment_id else [])
    return out(row, found.get(row.one_off_payment_id) if row.one_off_payment_id else None)


async def _parameter(session: AsyncSession, name: str, month: date) -> int:
    value = await programmes.value_in(session, PROGRAMME, name, month)
    if value is None:
        raise ValidationFailed(
            [
                {
                    "field": "body.occurred_on",
                    "reason": f"no {name} of the emergency programme in force in {month_text(month)}",
                }
            ]
        )
    return int(value)


async def decide(session: AsyncSession, principal: Principal, body: ReliefIn) -> ReliefOut:
    place = place_for_write(principal, body.commune_code, clock.today())
    if body.occurred_on > clock.today():
        raise ValidationFailed([{"field": "body.occurred_on", "reason": "a day that has happened"}])
    month = body.occurred_on.replace(day=1)
    amount, rice_kg = 0, 0
    if body.kind == "food":
        if body.amount is not None or body.persons is None or body.months is None:
            raise ValidationFailed(
                [{"field": "body.persons", "reason": "food relief is rice in kind: give persons and months, no amount"}]
            )
        rice_kg = body.persons * body.months * await _parameter(session, "rice_kg_per_person_month", month)
    else:
        if body.amount is None or body.persons is not None or body.months is not None:
            raise ValidationFailed(
                [
                    {
                        "field": "body.amount",
                        "reason": f"{body.kind} relief is paid in cash: give "
                        "an amount (persons and months are for food)",
                    }
                ]
            )
        minimum = await _parameter(session, f"min_{body.kind}", month)
        if body.amount < minimum:
            raise ValidationFailed(
                [{"field": "body.amount", "reason": f"at least {minimum:,} VND for {body.kind} in {month_text(month)}"}]
            )
        await programmes_service.check_amount(
            session, PROGRAMME, body.amount, clock.today().replace(day=1), "body.amount"
        )
        amount = body.amount
    row = EmergencyRelief(
        id=uuid.uuid4(),
        kind=body.kind,
        person_id=body.person_id,
        household_id=body.household_id,
        recipient_name=body.recipient_name,
        national_id=body.national_id,
        commune_code=place.commune_code,
        district_code=place.district_code,
        province_code=place.province_code,
        disaster=body.disaster,
        occurred_on=body.occurred_on,
        amount=amount,
        rice_kg=rice_kg,
        persons=body.persons,
        months=body.months,
        decision=body.decision,
        decided_on=clock.today(),
        status="decided",
        created_by=principal.client_id,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return out(row, None)


async def approve(session: AsyncSession, principal: Principal, relief_id: uuid.UUID) -> ReliefOut:
    row = await repository.get(session, relief_id, for_update=True)
    row = visible_or_404(principal, row, f"emergency relief {relief_id}")
    if row.status != "decided":
        raise ReliefApproved(f"emergency relief {relief_id} is already approved")
    if principal.client_id == row.created_by:
        raise MakerChecker(f"maker-checker: {principal.client_id} decided this relief; another client approves it")
    payment = None
    if row.amount > 0:
        payment = OneOffPayment(
            id=uuid.uuid4(),
            programme=PROGRAMME,
            person_id=row.person_id,
            beneficiary_id=None,
            recipient_name=row.recipient_name,
            national_id=row.national_id,
            commune_code=row.commune_code,
            district_code=row.district_code,
            province_code=row.province_code,
            amount=row.amount,
            reason=f"{LABELS[row.kind]}: {row.disaster}",
            requested_by=row.decision,
            period_from=None,
            created_by=principal.client_id,
        )
        await one_off.add(session, payment)
        row.one_off_payment_id = payment.id
    row.status, row.approved_by, row.approved_at = "approved", principal.client_id, datetime.now(UTC)
    row.version += 1
    await session.flush()
    return out(row, payment)


async def get(session: AsyncSession, principal: Principal, relief_id: uuid.UUID) -> ReliefOut:
    row = await repository.get(session, relief_id)
    row = visible_or_404(principal, row, f"emergency relief {relief_id}")
    return await _with_payment(session, row)


async def search(
    session: AsyncSession,
    principal: Principal,
    *,
    year: int,
    commune_code: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ReliefOut], str | None]:
    after = keyset(cursor, date.fromisoformat, str, uuid.UUID)
    rows = list(
        await repository.search(
            session,
            areas=principal.limited_to,
            first=date(year, 1, 1),
            last=date(year, 12, 31),
            commune_code=commune_code,
            status=status,
            after=after,
            limit=limit,
        )
    )
    found = await repository.payments(session, [r.one_off_payment_id for r in rows if r.one_off_payment_id])
    items = [out(r, found.get(r.one_off_payment_id) if r.one_off_payment_id else None) for r in rows]
    next_cursor = cursor_if_full(rows, limit, lambda r: [r.decided_on.isoformat(), r.commune_code, str(r.id)])
    return items, next_cursor


async def report(session: AsyncSession, principal: Principal, year: int) -> EmergencyReport:
    """Per kind of relief decided in ``year``, within the client's areas: decided, approved, the cash approved,
    issued and reported paid, the rice given."""
    rows = {r["kind"]: r for r in await repository.totals(session, year, principal.limited_to)}
    zero = dict.fromkeys(KindTotals.model_fields, 0)
    return EmergencyReport(year=year, kinds=[KindTotals(**{**zero, **rows.get(k, {}), "kind": k}) for k in KINDS])


async def merge(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID) -> None:
    """A merge of two registry records: the merged record's reliefs not yet paid name the survivor."""
    await repository.rekey_current(session, merged, survivor)
