"""Use cases of one-off payments: create (idempotent at the router), read. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import visible_or_404
from common.auth import Principal
from common.errors import ValidationFailed
from common.units import place_for_write

from ..models import OneOffPayment
from ..programmes import service as programmes
from ..rules.periods import month_text, parse_month
from . import repository
from .schemas import OneOffIn, OneOffOut, SupportRequestIn

SERVICE_REQUEST = "service_request"


def location(payment_id: uuid.UUID) -> str:
    return f"/payments/one-off-payments/{payment_id}"


def out(row: OneOffPayment) -> OneOffOut:
    return OneOffOut(
        id=row.id,
        programme=row.programme,
        person_id=row.person_id,
        beneficiary_id=row.beneficiary_id,
        recipient_name=row.recipient_name,
        national_id=row.national_id,
        commune_code=row.commune_code,
        district_code=row.district_code,
        province_code=row.province_code,
        amount=row.amount,
        reason=row.reason,
        requested_by=row.requested_by,
        period_from=month_text(row.period_from) if row.period_from else None,
        status="issued" if row.payroll_id else "pending",
        payroll_id=row.payroll_id,
        created_at=row.created_at,
        created_by=row.created_by,
    )


async def create(session: AsyncSession, principal: Principal, body: OneOffIn) -> OneOffPayment:
    programme = await programmes.get(session, body.programme)
    if programme.kind != "one_off":
        raise ValidationFailed(
            [{"field": "body.programme", "reason": f"{body.programme} is not paid by one-off payments"}]
        )
    today = clock.today()
    place = place_for_write(principal, body.commune_code, today)
    await programmes.check_amount(session, body.programme, body.amount, today.replace(day=1), "body.amount")
    row = OneOffPayment(
        id=uuid.uuid4(),
        programme=body.programme,
        person_id=body.person_id,
        beneficiary_id=body.beneficiary_id,
        recipient_name=body.recipient_name,
        national_id=body.national_id,
        commune_code=place.commune_code,
        district_code=place.district_code,
        province_code=place.province_code,
        amount=body.amount,
        reason=body.reason,
        requested_by=body.requested_by,
        period_from=parse_month(body.period_from) if body.period_from else None,
        created_by=principal.client_id,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def add(session: AsyncSession, payment: OneOffPayment) -> None:
    """A one-off payment decided by another feature (an approved emergency relief, a longevity gift by post), written
    in the caller's transaction; it waits for a payroll of its programme like any other."""
    await repository.add(session, payment)


async def mark_issued(session: AsyncSession, payroll_id: uuid.UUID) -> None:
    """Payroll approval: the one-off payments the payroll's lines pay are issued (``payroll_id`` set)."""
    await repository.mark_issued(session, payroll_id)


async def get(session: AsyncSession, principal: Principal, payment_id: uuid.UUID) -> OneOffPayment:
    row = await session.scalar(select(OneOffPayment).where(OneOffPayment.id == payment_id))
    row = visible_or_404(principal, row, f"one-off payment {payment_id}")
    return row


async def from_support_request(session: AsyncSession, data: SupportRequestIn) -> bool:
    """A one-off payment for a child-protection support item, keyed by the item's id (True when created now).
    Names never travel in events: the pay point pays the carer named in the case file, quoted as the recipient."""
    result = await session.execute(
        insert(OneOffPayment)
        .values(
            id=data.support_item_id,
            programme=SERVICE_REQUEST,
            recipient_name=f"Người chăm sóc trẻ, hồ sơ {data.case_number}",
            commune_code=data.commune_code,
            district_code=data.district_code,
            province_code=data.province_code,
            amount=data.amount,
            reason=f"{data.kind} ({data.funding}: {data.sponsor})",
            requested_by=f"child_protection case {data.case_number}",
            created_by="child_protection",
        )
        .on_conflict_do_nothing(index_elements=[OneOffPayment.id])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def merge(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID, duplicates: list[uuid.UUID]) -> None:
    """A merge of two registry records: ``duplicates`` (unissued payments of a gift the survivor also has) are dropped;
    the merged record's other unissued payments name the survivor. Issued payments (and their lines) stay as paid."""
    await repository.discard_pending(session, duplicates)
    await repository.rekey_pending(session, merged, survivor)
