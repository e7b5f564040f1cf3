"""HTTP routes of the households feature (the gateway serves them under ``/registry``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from common import clock
from common.auth import Principal, require
from common.db import SessionDep

from ..history.schemas import HistoryPage
from ..models import IDEMPOTENCY
from . import service as households_service
from .schemas import AddressOut, HouseholdCreate, HouseholdOut, MemberIn, MemberOut, MoveIn, PovertyIn, PovertyOut

router = APIRouter(prefix="/households", tags=["households"])

Reader = Annotated[Principal, require("registry:read")]
Writer = Annotated[Principal, require("registry:write")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="The ETag of the version read")]


def _out(view: households_service.HouseholdView, response: Response) -> HouseholdOut:
    h = view.household
    response.headers["ETag"] = households_service.etag(h)
    current = view.current_poverty(clock.today())
    return HouseholdOut(
        id=h.id,
        code=h.code,
        commune_code=h.commune_code,
        district_code=h.district_code,
        province_code=h.province_code,
        address_line=h.address_line,
        version=h.version,
        members=[
            MemberOut(
                person_id=m.person_id,
                full_name=name,
                relationship=m.relationship,  # type: ignore[arg-type]
                joined_on=m.joined_on,
            )
            for m, name in view.members
        ],
        poverty_status=PovertyOut.model_validate(current, from_attributes=True) if current else None,
        poverty_history=[PovertyOut.model_validate(p, from_attributes=True) for p in view.poverty_history],
        addresses=[AddressOut.model_validate(a, from_attributes=True) for a in view.addresses],
        created_at=h.created_at,
        updated_at=h.updated_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HouseholdOut)
async def create_household(
    body: HouseholdCreate, request: Request, response: Response, session: SessionDep, principal: Writer
) -> HouseholdOut | JSONResponse:
    """Register a household with its members and, optionally, its poverty status.

    Exactly one member has relationship `head` (otherwise `422` naming `body.members`); the others are
    `spouse`, `child`, `parent`, `grandchild`, `sibling` or `other` (relationship to the head). Every member
    must be a registered person within the client's areas (`422` naming the member otherwise), and a person
    belongs to at most one household at a time: a person already in another household gets `409` with
    `person_id` and `household` (the address of that household). The commune must be a commune in force
    today within the client's areas; its district and province are derived from it.

    Returns the household with `ETag` and `Location`. With `poverty`, publishes
    `registry.household.poverty_status_changed.v1`. An `Idempotency-Key` header makes retries safe (the
    first response is replayed).
    """

    async def work() -> tuple[HouseholdOut, dict[str, str]]:
        view = await households_service.create(session, principal, body)
        response.headers["Location"] = households_service.location(view.household.id)
        out = _out(view, response)
        return out, {k: response.headers[k] for k in ("Location", "ETag") if k in response.headers}

    return await IDEMPOTENCY.respond(session, principal, request, response, work)


@router.get("/{household_id}", response_model=HouseholdOut)
async def read_household(
    household_id: uuid.UUID, response: Response, session: SessionDep, principal: Reader
) -> HouseholdOut:
    """Read a household: its current members (with names), the poverty status in force today and every
    status recorded, its current address and the communes it lived in before.

    `404` when the household does not exist or lies outside the client's areas. The `ETag` header carries
    the version for `If-Match`.
    """
    return _out(await households_service.read(session, principal, household_id), response)


@router.get("/{household_id}/history", response_model=HistoryPage)
async def household_history(
    household_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> HistoryPage:
    """Every change to a household, newest first: who, when, why (e.g. the deciding document of a poverty
    status, the reason of a move), the values before and after. Pages with `limit` and `cursor`."""
    items, next_cursor = await households_service.history(session, principal, household_id, cursor, limit)
    return HistoryPage.model_validate({"items": items, "next_cursor": next_cursor})


@router.post("/{household_id}/poverty-status", response_model=HouseholdOut)
async def record_poverty_status(
    household_id: uuid.UUID,
    body: PovertyIn,
    response: Response,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> HouseholdOut:
    """Record a poverty status (`poor`, `near_poor`, `average_living_farming` or `none`) in force from
    `valid_from`, with the deciding `document` (its number and date).

    Statuses are never overwritten: each one is added to the household's history, and the status in force
    on a day is the one with the latest `valid_from` on or before it. `If-Match` is optional; a stale one
    gets `412`. Publishes `registry.household.poverty_status_changed.v1`.
    """
    view = await households_service.add_poverty_status(session, principal, household_id, if_match, body)
    return _out(view, response)


@router.post("/{household_id}/move", response_model=HouseholdOut)
async def move_household(
    household_id: uuid.UUID,
    body: MoveIn,
    response: Response,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> HouseholdOut:
    """Move a household to another commune (or address) from `valid_from`.

    Needs `If-Match` with the ETag last read: missing → `428`, stale → `412`. The previous address is kept
    in the household's address history (ending the day before `valid_from`, i.e. `valid_to` = `valid_from`);
    `valid_from` must be after the start of the current address. The new commune must be in force today and
    within the client's areas.
    """
    view = await households_service.move(session, principal, household_id, if_match, body)
    return _out(view, response)


@router.post("/{household_id}/members", response_model=HouseholdOut)
async def add_household_member(
    household_id: uuid.UUID,
    body: MemberIn,
    response: Response,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> HouseholdOut:
    """Add a member to a household.

    The person must be registered and within the client's areas (`422`), and in no other household
    (`409` naming that household). A household has one head: to change the head, remove the current head
    naming the new one. `If-Match` is optional; a stale one gets `412`.
    """
    view = await households_service.add_member(session, principal, household_id, if_match, body)
    return _out(view, response)


@router.delete("/{household_id}/members/{person_id}", response_model=HouseholdOut)
async def remove_household_member(
    household_id: uuid.UUID,
    person_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    principal: Writer,
    left_on: Annotated[date | None, Query(description="Day the person left; today if omitted")] = None,
    new_head: Annotated[
        uuid.UUID | None,
        Query(
            description="Required when removing the head: the person id of another current member, who becomes the head"
        ),
    ] = None,
    if_match: IfMatch = None,
) -> HouseholdOut:
    """A member leaves the household on `left_on`; the membership stays in the household's history.

    Removing the head without `new_head` naming another current member gets `422`. `404` when the person
    is not a current member. `If-Match` is optional; a stale one gets `412`.
    """
    view = await households_service.remove_member(
        session, principal, household_id, person_id, if_match, left_on, new_head
    )
    return _out(view, response)
