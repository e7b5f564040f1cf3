"""HTTP routes of the residential-care feature (the gateway serves them under ``/registry``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from common.auth import Principal, require
from common.db import SessionDep

from ..models import Residency
from . import service
from .schemas import AdmissionIn, DischargeIn, FacilityCreate, FacilityOut, ResidencyOut, ResidentPage

router = APIRouter(tags=["residential care"])

Reader = Annotated[Principal, require("registry:read")]
Writer = Annotated[Principal, require("registry:write")]


def _facility_out(view: service.FacilityView) -> FacilityOut:
    f = view.facility
    return FacilityOut(
        id=f.id,
        name=f.name,
        commune_code=f.commune_code,
        district_code=f.district_code,
        province_code=f.province_code,
        capacity=f.capacity,
        residents=view.residents,
        residents_by_category=view.by_category,
        created_at=f.created_at,
    )


def _residency_out(r: Residency, full_name: str | None) -> ResidencyOut:
    return ResidencyOut(
        id=r.id,
        facility_id=r.facility_id,
        person_id=r.person_id,
        full_name=full_name,
        admitted_on=r.admitted_on,
        discharged_on=r.discharged_on,
        category=r.category,
        reason=r.reason,
    )


@router.post("/facilities", status_code=status.HTTP_201_CREATED, response_model=FacilityOut)
async def create_facility(
    body: FacilityCreate, response: Response, session: SessionDep, principal: Writer
) -> FacilityOut:
    """Register a social-assistance facility in a commune in force today within the client's areas (its
    district and province are derived from it) with its `capacity` (most residents at a time)."""
    view = await service.create_facility(session, principal, body)
    response.headers["Location"] = service.facility_location(view.facility.id)
    return _facility_out(view)


@router.get("/facilities/{facility_id}", response_model=FacilityOut)
async def read_facility(facility_id: uuid.UUID, session: SessionDep, principal: Reader) -> FacilityOut:
    """Read a facility with its current residents, in total and per category. `404` when it does not exist or
    lies outside the client's areas."""
    return _facility_out(await service.read_facility(session, principal, facility_id))


@router.post("/facilities/{facility_id}/residents", status_code=status.HTTP_201_CREATED, response_model=ResidencyOut)
async def admit(
    facility_id: uuid.UUID, body: AdmissionIn, response: Response, session: SessionDep, principal: Writer
) -> ResidencyOut:
    """Admit a person to the facility from `admitted_on` (between the date of birth and today).

    A person lives in at most one facility at a time: `409` (`already-resident`) with the current `residency`
    otherwise. `422` naming `body.person_id` when the person is unknown or outside the client's areas, or when
    the facility is full. From the month of admission the person's monthly allowance is the Art 25
    residential-care coefficient instead of every other line."""
    residency, name = await service.admit(session, principal, facility_id, body)
    response.headers["Location"] = service.residency_location(residency.id)
    return _residency_out(residency, name)


@router.get("/facilities/{facility_id}/residents", response_model=ResidentPage)
async def residents(
    facility_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=1000, description="`next_cursor` of the previous page")] = None,
) -> ResidentPage:
    """The current residents of a facility, by admission day. Pages with `limit` (at most 100) and the opaque
    `cursor` / `next_cursor`."""
    rows, next_cursor = await service.residents(session, principal, facility_id, cursor=cursor, limit=limit)
    return ResidentPage(items=[_residency_out(r, name) for r, name in rows], next_cursor=next_cursor)


@router.post("/residencies/{residency_id}/discharge", response_model=ResidencyOut)
async def discharge(residency_id: uuid.UUID, body: DischargeIn, session: SessionDep, principal: Writer) -> ResidencyOut:
    """End a residency on `discharged_on` (not before the admission day, not in the future). `409` when it has
    already ended. The regular allowance lines apply again from the month of discharge."""
    residency, name = await service.discharge(session, principal, residency_id, body)
    return _residency_out(residency, name)
