"""Use cases of artisan enrolments: enrol (idempotent at the router), end, read, list. Never commits.

An enrolment is the source of the ``artisans`` monthly payroll: every enrolment in force in a month is paid its
amount for that month, through the same generation as the monthly allowance (arrears for months owed, recovery for
months paid after a retroactive end, unpaid amounts carried). An artisan has at most one enrolment in force in any
month; a change of amount is an end and a new enrolment from the next month.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import visible_or_404
from common.auth import Principal
from common.errors import Conflict, PreconditionFailed, ValidationFailed
from common.pagination import cursor_if_full, keyset
from common.units import place_for_write

from ..models import ArtisanEnrolment
from ..programmes import service as programmes
from ..rules.periods import month_text, parse_month
from . import repository
from .exceptions import EnrolmentEnded, EnrolmentOverlaps
from .schemas import EndIn, EnrolmentIn, EnrolmentOut

PROGRAMME = "artisans"


def location(enrolment_id: uuid.UUID) -> str:
    return f"/payments/programmes/{PROGRAMME}/enrolments/{enrolment_id}"


def etag(row: ArtisanEnrolment) -> str:
    return f'"{row.version}"'


def out(row: ArtisanEnrolment) -> EnrolmentOut:
    return EnrolmentOut(
        id=row.id,
        person_id=row.person_id,
        recipient_name=row.recipient_name,
        national_id=row.national_id,
        commune_code=row.commune_code,
        district_code=row.district_code,
        province_code=row.province_code,
        title=row.title,
        amount_per_month=row.amount,
        from_month=month_text(row.from_month),  # type: ignore[arg-type]
        to_month=month_text(row.to_month) if row.to_month else None,
        legal_basis=row.legal_basis,
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        ended_at=row.ended_at,
        ended_by=row.ended_by,
        end_basis=row.end_basis,
    )


def _overlap(existing: ArtisanEnrolment) -> Conflict:
    last = month_text(existing.to_month) if existing.to_month else "open-ended"
    return EnrolmentOverlaps(
        f"the person already has an artisans enrolment in force from "
        f"{month_text(existing.from_month)} ({last}): end it first",
        existing=location(existing.id),
    )


async def enrol(session: AsyncSession, principal: Principal, body: EnrolmentIn) -> ArtisanEnrolment:
    place = place_for_write(principal, body.commune_code, clock.today())
    first = parse_month(body.from_month)
    last = parse_month(body.to_month) if body.to_month else None
    if last is not None and last < first:
        raise ValidationFailed([{"field": "body.to_month", "reason": "not before from_month"}])
    await programmes.check_amount(session, PROGRAMME, body.amount_per_month, first, "body.amount_per_month")
    await repository.lock_person(session, body.person_id)
    existing = await repository.overlapping(session, body.person_id, first, last)
    if existing is not None:
        raise _overlap(existing)
    row = ArtisanEnrolment(
        id=uuid.uuid4(),
        person_id=body.person_id,
        recipient_name=body.recipient_name,
        national_id=body.national_id,
        commune_code=place.commune_code,
        district_code=place.district_code,
        province_code=place.province_code,
        title=body.title,
        amount=body.amount_per_month,
        from_month=first,
        to_month=last,
        legal_basis=body.legal_basis,
        version=1,
        created_by=principal.client_id,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def get(
    session: AsyncSession, principal: Principal, enrolment_id: uuid.UUID, *, for_update: bool = False
) -> ArtisanEnrolment:
    row = await repository.get(session, enrolment_id, for_update=for_update)
    row = visible_or_404(principal, row, f"artisans enrolment {enrolment_id}")
    return row


async def end(
    session: AsyncSession, principal: Principal, enrolment_id: uuid.UUID, body: EndIn, if_match: str | None
) -> ArtisanEnrolment:
    """Set the last month paid. Only shortens: a later month than the one set is a new enrolment. The version moves,
    so the next payroll compares every month of the enrolment again (months paid after ``to_month`` are recovered)."""
    row = await get(session, principal, enrolment_id, for_update=True)
    if if_match is not None and if_match.strip() not in (etag(row), "*"):
        raise PreconditionFailed(
            f"the enrolment changed (now {etag(row)}): read it again before acting on it", current_etag=etag(row)
        )
    last = parse_month(body.to_month)
    if last < row.from_month:
        raise ValidationFailed(
            [
                {
                    "field": "body.to_month",
                    "reason": f"not before the enrolment's from_month {month_text(row.from_month)}",
                }
            ]
        )
    if row.to_month is not None and last >= row.to_month:
        raise EnrolmentEnded(
            f"the enrolment already ends in {month_text(row.to_month)}: an end only brings it "
            "forward; enrol again to pay later months",
            to_month=month_text(row.to_month),
        )
    row.to_month, row.end_basis = last, body.legal_basis
    row.ended_by, row.ended_at = principal.client_id, datetime.now(UTC)
    row.version += 1
    await session.flush()
    return row


async def search(
    session: AsyncSession,
    principal: Principal,
    *,
    commune_code: str | None,
    person_id: uuid.UUID | None,
    in_force: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ArtisanEnrolment], str | None]:
    after = keyset(cursor, str, uuid.UUID)
    areas = principal.limited_to
    rows = list(
        await repository.search(
            session,
            areas=areas,
            commune_code=commune_code,
            person_id=person_id,
            in_force=parse_month(in_force) if in_force else None,
            after=after,
            limit=limit,
        )
    )
    return rows, cursor_if_full(rows, limit, lambda e: [e.commune_code, str(e.id)])


async def merge(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID, month: date) -> None:
    """A merge of two registry records: the merged record's enrolments still paying from ``month`` move to the
    survivor, or end the month before (at the earliest their first) when the survivor has one of its own."""
    await repository.merge(session, merged, survivor, month, "payments")
