"""Use cases of the residential-care feature: facilities, admission, discharge, current residents, and the
residential periods the entitlement engine needs. Never commits.

**Months in residence** (what the engine gets, :func:`..facts.residential_periods`): from the month of admission
through the month *before* the month of discharge. A person admitted on 15 August is paid the Art 25 coefficient
from August; one discharged on 10 March is paid the regular line again from March (the month they return to the
community). A stay admitted and discharged within one month gives no residential month.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import visible_or_404
from common.auth import Principal
from common.errors import Conflict, NotFound, ValidationFailed
from common.pagination import keyset, page_of

from ..models import Facility, Person, Residency
from ..persons import service as persons_service
from ..schedules import service as schedules_service
from . import repository
from .exceptions import AlreadyDischarged, AlreadyResident
from .schemas import CATEGORIES, AdmissionIn, DischargeIn, FacilityCreate


@dataclass(frozen=True, slots=True)
class FacilityView:
    facility: Facility
    by_category: dict[str, int]

    @property
    def residents(self) -> int:
        return sum(self.by_category.values())


def facility_location(facility_id: uuid.UUID) -> str:
    return f"/registry/facilities/{facility_id}"


def residency_location(residency_id: uuid.UUID) -> str:
    return f"/registry/residencies/{residency_id}"


async def _view(session: AsyncSession, facility: Facility) -> FacilityView:
    counts = await repository.counts_by_category(session, facility.id)
    return FacilityView(facility, {c: counts.get(c, 0) for c in CATEGORIES})


async def create_facility(session: AsyncSession, principal: Principal, body: FacilityCreate) -> FacilityView:
    district_code, province_code = await persons_service.place_in_area(session, principal, body.commune_code)
    facility = Facility(
        id=uuid.uuid4(),
        name=body.name,
        commune_code=body.commune_code,
        district_code=district_code,
        province_code=province_code,
        capacity=body.capacity,
        created_at=datetime.now(UTC),
        created_by=principal.client_id,
    )
    await repository.flush(session, facility)
    return FacilityView(facility, dict.fromkeys(CATEGORIES, 0))


async def get_visible(
    session: AsyncSession, principal: Principal, facility_id: uuid.UUID, *, for_update: bool = False
) -> Facility:
    """The facility, or 404 when missing or outside the caller's areas (existence is not revealed)."""
    facility = await repository.facility(session, facility_id, for_update=for_update)
    facility = visible_or_404(principal, facility, f"facility {facility_id}")
    return facility


async def read_facility(session: AsyncSession, principal: Principal, facility_id: uuid.UUID) -> FacilityView:
    return await _view(session, await get_visible(session, principal, facility_id))


def _already_resident(current: Residency) -> Conflict:
    return AlreadyResident(
        f"person {current.person_id} is already resident in a facility",
        person_id=str(current.person_id),
        residency=residency_location(current.id),
        facility=facility_location(current.facility_id),
    )


async def admit(
    session: AsyncSession, principal: Principal, facility_id: uuid.UUID, body: AdmissionIn
) -> tuple[Residency, str]:
    # The facility row lock serialises admissions to one facility, so the capacity check holds.
    facility = await get_visible(session, principal, facility_id, for_update=True)
    try:
        person = await persons_service.get_visible(session, principal, body.person_id)
    except NotFound:
        raise ValidationFailed(
            [{"field": "body.person_id", "reason": f"no person {body.person_id} (or outside the client's areas)"}]
        ) from None
    if body.admitted_on < person.date_of_birth or body.admitted_on > clock.today():
        raise ValidationFailed([{"field": "body.admitted_on", "reason": "must be between the date of birth and today"}])
    current = await repository.current_residency(session, person.id)
    if current is not None:
        raise _already_resident(current)
    residents = sum((await repository.counts_by_category(session, facility.id)).values())
    if residents >= facility.capacity:
        raise ValidationFailed(
            [{"field": "body.person_id", "reason": f"the facility is full ({residents} of {facility.capacity} places)"}]
        )
    residency = Residency(
        id=uuid.uuid4(),
        facility_id=facility.id,
        person_id=person.id,
        admitted_on=body.admitted_on,
        category=body.category,
        reason=body.reason,
        admitted_by=principal.client_id,
    )
    try:
        await repository.flush(session, residency)
    except repository.AlreadyResident as exc:  # a concurrent request admitted the person first
        current = await repository.current_residency(session, person.id)
        assert current is not None
        raise _already_resident(current) from exc
    await schedules_service.refresh_person(session, residency.person_id)
    return residency, person.full_name


async def discharge(
    session: AsyncSession, principal: Principal, residency_id: uuid.UUID, body: DischargeIn
) -> tuple[Residency, str]:
    residency = await repository.residency(session, residency_id, for_update=True)
    if residency is None:
        raise NotFound(f"no residency {residency_id}")
    try:
        await get_visible(session, principal, residency.facility_id)
    except NotFound:
        raise NotFound(f"no residency {residency_id}") from None
    if residency.discharged_on is not None:
        raise AlreadyDischarged(
            f"residency {residency_id} already ended on {residency.discharged_on}",
            discharged_on=residency.discharged_on.isoformat(),
        )
    if body.discharged_on < residency.admitted_on:
        raise ValidationFailed(
            [{"field": "body.discharged_on", "reason": f"must not be before the admission day {residency.admitted_on}"}]
        )
    if body.discharged_on > clock.today():
        raise ValidationFailed([{"field": "body.discharged_on", "reason": "must not be in the future"}])
    residency.discharged_on = body.discharged_on
    residency.discharged_by = principal.client_id
    if body.reason:
        residency.reason = f"{residency.reason}; {body.reason}" if residency.reason else body.reason
    await session.flush()
    person = await session.get(Person, residency.person_id)
    await schedules_service.refresh_person(session, residency.person_id)
    return residency, person.full_name if person else ""


async def residents(
    session: AsyncSession, principal: Principal, facility_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[tuple[Residency, str]], str | None]:
    facility = await get_visible(session, principal, facility_id)
    after = keyset(cursor, date.fromisoformat, uuid.UUID)
    rows = await repository.current_residents(session, facility.id, after=after, limit=limit + 1)
    return page_of(rows, limit, lambda r: [r[0].admitted_on.isoformat(), str(r[0].id)])


async def rekey_person(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> int:
    """A merge (``duplicates.service``): ``source``'s residencies now belong to ``target``."""
    return await repository.rekey_person(session, source, target)
