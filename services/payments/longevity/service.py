"""Use cases of longevity gifts: record one (its amounts from the programme's parameters; the cash as a one-off
payment when it goes through the post office), read, list, the yearly totals. Never commits."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import visible_or_404
from common.auth import Principal
from common.db import UniqueViolation
from common.errors import ValidationFailed
from common.pagination import cursor_if_full, keyset
from common.units import place_for_write

from ..models import LongevityGift, OneOffPayment
from ..one_off import service as one_off
from ..programmes import repository as programmes
from ..programmes import service as programmes_service
from ..rules.periods import month_text
from . import repository
from .exceptions import GiftExists
from .schemas import AgeTotals, GiftIn, GiftOut, LongevityReport

PROGRAMME = "longevity"
AGES = (90, 100)


def location(gift_id: uuid.UUID) -> str:
    return f"/payments/longevity-gifts/{gift_id}"


def out(row: LongevityGift, payment: OneOffPayment | None) -> GiftOut:
    return GiftOut(
        id=row.id,
        person_id=row.person_id,
        year=row.year,
        age=row.age,
        recipient_name=row.recipient_name,
        national_id=row.national_id,
        date_of_birth=row.date_of_birth,
        commune_code=row.commune_code,
        district_code=row.district_code,
        province_code=row.province_code,
        gift_date=row.gift_date,
        delivery=row.delivery,
        cash=row.cash,
        in_kind_value=row.in_kind_value,
        one_off_payment_id=row.one_off_payment_id,
        payment_status=None if payment is None else ("issued" if payment.payroll_id else "pending"),
        decision=row.decision,
        created_at=row.created_at,
        created_by=row.created_by,
    )


async def with_payment(session: AsyncSession, row: LongevityGift) -> GiftOut:
    found = await repository.payments(session, [row.one_off_payment_id] if row.one_off_payment_id else [])
    return out(row, found.get(row.one_off_payment_id) if row.one_off_payment_id else None)


async def _amount(session: AsyncSession, name: str, month: date) -> int | None:
    value = await programmes.value_in(session, PROGRAMME, name, month)
    return None if value is None else int(value)


async def create(session: AsyncSession, principal: Principal, body: GiftIn) -> GiftOut:
    age = body.year - body.date_of_birth.year
    if age not in AGES:
        raise ValidationFailed(
            [{"field": "body.date_of_birth", "reason": f"reaches {age} in {body.year}: gifts are for 90 and 100"}]
        )
    if body.gift_date.year != body.year:
        raise ValidationFailed([{"field": "body.gift_date", "reason": f"a date in {body.year}"}])
    place = place_for_write(principal, body.commune_code, clock.today())
    month = body.gift_date.replace(day=1)
    cash = await _amount(session, f"gift_{age}_cash", month)
    if cash is None:
        raise ValidationFailed(
            [
                {
                    "field": "body.gift_date",
                    "reason": f"no gift_{age}_cash of the longevity programme in force in {month_text(month)}",
                }
            ]
        )
    in_kind_value = await _amount(session, f"gift_{age}_in_kind", month)
    await programmes_service.check_amount(session, PROGRAMME, cash, month, "body.gift_date")
    payment = None
    if body.delivery == "post_office" and cash > 0:
        payment = OneOffPayment(
            id=uuid.uuid4(),
            programme=PROGRAMME,
            person_id=body.person_id,
            beneficiary_id=None,
            recipient_name=body.recipient_name,
            national_id=body.national_id,
            commune_code=place.commune_code,
            district_code=place.district_code,
            province_code=place.province_code,
            amount=cash,
            reason=f"Quà mừng thọ {age} tuổi năm {body.year}",
            requested_by=body.decision,
            period_from=month,
            created_by=principal.client_id,
        )
    gift = LongevityGift(
        id=uuid.uuid4(),
        person_id=body.person_id,
        year=body.year,
        age=age,
        recipient_name=body.recipient_name,
        national_id=body.national_id,
        date_of_birth=body.date_of_birth,
        commune_code=place.commune_code,
        district_code=place.district_code,
        province_code=place.province_code,
        gift_date=body.gift_date,
        delivery=body.delivery,
        cash=cash,
        in_kind_value=in_kind_value,
        one_off_payment_id=payment.id if payment else None,
        decision=body.decision,
        created_by=principal.client_id,
    )
    try:
        # The payment (written first: the gift refers to it) and the gift, in one savepoint: when the gift already
        # exists (unique person and year), neither is left behind.
        async with session.begin_nested():
            if payment is not None:
                await one_off.add(session, payment)
            await repository.add(session, gift)
    except UniqueViolation as exc:
        existing = await repository.of_person(session, body.person_id, body.year)
        raise GiftExists(
            f"person {body.person_id} already has a longevity gift for {body.year}",
            existing=location(existing.id) if existing else None,
        ) from exc
    await session.refresh(gift)
    return out(gift, payment)


async def get(session: AsyncSession, principal: Principal, gift_id: uuid.UUID) -> GiftOut:
    row = await repository.get(session, gift_id)
    row = visible_or_404(principal, row, f"longevity gift {gift_id}")
    return await with_payment(session, row)


async def search(
    session: AsyncSession, principal: Principal, *, year: int, commune_code: str | None, cursor: str | None, limit: int
) -> tuple[list[GiftOut], str | None]:
    after = keyset(cursor, str, uuid.UUID)
    rows = list(
        await repository.search(
            session, areas=principal.limited_to, year=year, commune_code=commune_code, after=after, limit=limit
        )
    )
    found = await repository.payments(session, [r.one_off_payment_id for r in rows if r.one_off_payment_id])
    items = [out(r, found.get(r.one_off_payment_id) if r.one_off_payment_id else None) for r in rows]
    next_cursor = cursor_if_full(rows, limit, lambda g: [g.commune_code, str(g.id)])
    return items, next_cursor


async def report(session: AsyncSession, principal: Principal, year: int) -> LongevityReport:
    """Per age: the gifts recorded for ``year`` and what was actually issued and paid, within the client's areas
    (never the minima recomputed)."""
    rows = {r["age"]: r for r in await repository.totals(session, year, principal.limited_to)}
    zero = dict.fromkeys(AgeTotals.model_fields, 0)
    return LongevityReport(year=year, ages=[AgeTotals(**{**zero, **rows.get(age, {}), "age": age}) for age in AGES])


async def merge(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID) -> list[uuid.UUID]:
    """A merge of two registry records: the merged record's unissued gifts move to the survivor, except one in a year
    the survivor has a gift already (one per person and year): that one is dropped. Returns the dropped gifts'
    payments (for the one-off feature to drop)."""
    return await repository.merge(session, merged, survivor)
