"""Foster placements from child protection's events: the recipients of the ``foster_care`` payroll (Decree 20/2021
Art 20). Only placements with a foster family are kept; the paid months come from ``rules/foster.py``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.areas import visible_or_404
from common.auth import Principal
from common.pagination import cursor_if_full, keyset

from ..models import FosterPlacement
from ..rules import foster as rules
from ..rules.periods import month_text, parse_month
from . import repository
from .schemas import FosterPlacementOut, FosterPlacementPage, PlacementEndedIn, PlacementRecordedIn

FOSTER = "foster"


def recipient_name(case_number: str | None, placement_id: Any) -> str:
    """Names never travel in events: the pay point pays the carer named in the placement decision of the case file
    (or, without a case, of the placement)."""
    ref = f"hồ sơ {case_number}" if case_number else f"quyết định chăm sóc thay thế {str(placement_id)[:8]}"
    return f"Gia đình nhận chăm sóc thay thế trẻ em, {ref}"


def _months(
    foster_allowance: bool, starts_on: date, ends_on: date | None, birth: date | None
) -> tuple[date | None, date | None, date | None]:
    """(first, last, rate change) months, or Nones when nothing is paid: no allowance, or no birth date (child
    protection requires one for a foster placement; without it the rate cannot be known)."""
    if not foster_allowance or birth is None:
        return None, None, None
    t = rules.terms(starts_on, ends_on, birth)
    return t.first_month, t.last_month, t.rate_change_month


async def placement_recorded(session: AsyncSession, data: PlacementRecordedIn) -> bool:
    """Keep a foster placement (True) or ignore a placement of another kind (False)."""
    if data.kind != FOSTER:
        return False
    known = await repository.get_for_update(session, data.placement_id)  # an end already applied stays applied
    first, last, change = _months(
        data.foster_allowance, data.starts_on, known.ends_on if known else None, data.child_date_of_birth
    )
    await repository.upsert(
        session,
        {
            "id": data.placement_id,
            "child_id": data.child_id,
            "person_id": data.person_id,
            "case_id": data.case_id,
            "case_number": data.case_number,
            "foster_allowance": data.foster_allowance,
            "child_birth_date": data.child_date_of_birth,
            "starts_on": data.starts_on,
            "first_month": first,
            "last_month": last,
            "rate_change_month": change,
            "recipient_name": recipient_name(data.case_number, data.placement_id),
            "commune_code": data.commune_code,
            "district_code": data.district_code,
            "province_code": data.province_code,
        },
    )
    return True


async def placement_ended(session: AsyncSession, data: PlacementEndedIn) -> bool:
    """The last month paid becomes the month care ended (a retroactive end is recovered by the next payroll).
    Deliveries keep the order of a placement's events, so the placement is known; an unknown one is ignored."""
    if data.kind != FOSTER:
        return False
    row = await repository.get_for_update(session, data.placement_id)
    if row is None:
        return False
    first, last, change = _months(row.foster_allowance, row.starts_on, data.ends_on, row.child_birth_date)
    await repository.set_end(session, data.placement_id, data.ends_on, first, last, change)
    return True


def out(row: FosterPlacement) -> FosterPlacementOut:
    return FosterPlacementOut(
        id=row.id,
        child_id=row.child_id,
        person_id=row.person_id,
        case_number=row.case_number,
        foster_allowance=row.foster_allowance,
        child_date_of_birth=row.child_birth_date,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        first_month=month_text(row.first_month) if row.first_month else None,
        last_month=month_text(row.last_month) if row.last_month else None,
        rate_change_month=month_text(row.rate_change_month) if row.rate_change_month else None,
        recipient_name=row.recipient_name,
        commune_code=row.commune_code,
        district_code=row.district_code,
        province_code=row.province_code,
        version=row.version,
    )


async def search(
    session: AsyncSession,
    principal: Principal,
    *,
    commune_code: str | None,
    in_force: str | None,
    cursor: str | None,
    limit: int,
) -> FosterPlacementPage:
    after = keyset(cursor, str, uuid.UUID)
    rows = list(
        await repository.search(
            session,
            areas=principal.limited_to,
            commune_code=commune_code,
            in_force=parse_month(in_force) if in_force else None,
            after=after,
            limit=limit,
        )
    )
    next_cursor = cursor_if_full(rows, limit, lambda r: [r.commune_code, str(r.id)])
    return FosterPlacementPage(items=[out(r) for r in rows], next_cursor=next_cursor)


async def get(session: AsyncSession, principal: Principal, placement_id: uuid.UUID) -> FosterPlacement:
    return visible_or_404(principal, await repository.get(session, placement_id), f"foster placement {placement_id}")


async def merge(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID, today: date) -> None:
    """A merge of two registry records: the child's current placements name the surviving record."""
    await repository.rekey_current(session, merged, survivor, today)
