"""Use cases of donations: record what a donor gave a facility, list them, and the facilities' yearly report
(residents by group at year end, donations received). Never commits."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.auth import Principal
from common.errors import ValidationFailed
from common.pagination import cursor_if_full, keyset

from ..models import Donation
from ..residential import service as residential
from ..residential.schemas import CATEGORIES
from . import repository
from .schemas import DonationIn, DonationOut, FacilitiesReport, FacilityYear, RaisedFor


def location(facility_id: uuid.UUID, donation_id: uuid.UUID) -> str:
    return f"/registry/facilities/{facility_id}/donations/{donation_id}"


def out(row: Donation) -> DonationOut:
    return DonationOut(
        id=row.id,
        facility_id=row.facility_id,
        donor=row.donor,
        received_on=row.received_on,
        form=row.form,
        value=row.value,
        description=row.description,
        for_person_id=row.for_person_id,
        document=row.document,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


async def record(session: AsyncSession, principal: Principal, facility_id: uuid.UUID, body: DonationIn) -> Donation:
    facility = await residential.get_visible(session, principal, facility_id)
    if body.received_on > clock.today():
        raise ValidationFailed([{"field": "body.received_on", "reason": "not after today"}])
    if body.for_person_id is not None and not await repository.resident_on(
        session, facility.id, body.for_person_id, body.received_on
    ):
        raise ValidationFailed(
            [{"field": "body.for_person_id", "reason": "not a resident of this facility on the day received"}]
        )
    row = Donation(
        id=uuid.uuid4(),
        facility_id=facility.id,
        donor=body.donor,
        received_on=body.received_on,
        form=body.form,
        value=body.value,
        description=body.description,
        for_person_id=body.for_person_id,
        document=body.document,
        recorded_by=principal.client_id,
    )
    await repository.add(session, row)
    return row


async def search(
    session: AsyncSession, principal: Principal, facility_id: uuid.UUID, year: int, cursor: str | None, limit: int
) -> tuple[list[DonationOut], str | None]:
    facility = await residential.get_visible(session, principal, facility_id)
    after = keyset(cursor, date.fromisoformat, uuid.UUID)
    rows = list(await repository.page(session, facility.id, date(year, 1, 1), date(year, 12, 31), after, limit))
    next_cursor = cursor_if_full(rows, limit, lambda d: [d.received_on.isoformat(), str(d.id)])
    return [out(r) for r in rows], next_cursor


async def report(session: AsyncSession, principal: Principal, year: int) -> FacilitiesReport:
    """Every facility within the client's areas: residents by group on 31 December (today for the current year)
    and the donations received in ``year``."""
    as_of = min(date(year, 12, 31), clock.today())
    first, last = date(year, 1, 1), date(year, 12, 31)
    found = await repository.facilities(session, principal.limited_to)
    ids = [f.id for f in found]
    residents = await repository.residents_on(session, ids, as_of)
    money = await repository.donation_totals(session, ids, first, last)
    raised = await repository.raised_for(session, ids, first, last)
    items = []
    for f in found:
        by_category = {c: residents.get((f.id, c), 0) for c in CATEGORIES}
        m = money.get(f.id, {"donations": 0, "donors": 0, "cash": 0, "in_kind": 0})
        items.append(
            FacilityYear(
                facility_id=f.id,
                name=f.name,
                commune_code=f.commune_code,
                residents=sum(by_category.values()),
                residents_by_category=by_category,
                donations=m["donations"],
                donors=m["donors"],
                cash=m["cash"],
                in_kind=m["in_kind"],
                total=m["cash"] + m["in_kind"],
                raised_for=[
                    RaisedFor(person_id=p, full_name=name, value=v) for fid, p, name, v in raised if fid == f.id
                ],
            )
        )
    return FacilitiesReport(year=year, as_of=as_of, facilities=items)
