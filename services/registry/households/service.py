"""Use cases of the households feature: create, read, poverty status, move, members. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import sees, visible_or_404
from common.auth import Principal
from common.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed

from ..duplicates import flagging as duplicates
from ..events import (
    EVENTS,
    HOUSEHOLD_MEMBER_JOINED,
    HOUSEHOLD_MEMBER_LEFT,
    HOUSEHOLD_POVERTY_STATUS_CHANGED,
    HouseholdMemberJoined,
    HouseholdMemberLeft,
    HouseholdPovertyStatusChanged,
)
from ..history import service as history_service
from ..models import Household, HouseholdAddress, HouseholdMember, Person, PovertyStatus
from ..persons import service as persons_service
from ..schedules import service as schedules_service
from . import repository
from .exceptions import AlreadyInHousehold, DuplicateHouseholdCode
from .schemas import HouseholdCreate, MemberIn, MoveIn, PovertyIn

HEAD = "head"


@dataclass(frozen=True, slots=True)
class HouseholdView:
    household: Household
    members: list[tuple[HouseholdMember, str]]
    poverty_history: list[PovertyStatus]
    addresses: list[HouseholdAddress]

    def current_poverty(self, on: date) -> PovertyStatus | None:
        # poverty_history is ordered by valid_from desc, id desc: the first one already in force wins
        return next((p for p in self.poverty_history if p.valid_from <= on), None)


def location(household_id: uuid.UUID) -> str:
    return f"/registry/households/{household_id}"


def etag(household: Household) -> str:
    return f'"{household.version}"'


def _check_if_match(household: Household, if_match: str | None, *, required: bool) -> None:
    if if_match is None and not required:
        return
    # Reuses the persons rule: a missing header is 428, a stale one 412.
    if not persons_service.matches_if_match(if_match, household.version):
        raise PreconditionFailed(
            f"the household has changed: it is at version {household.version}; re-read it and retry",
            headers={"ETag": etag(household)},
            current_version=household.version,
            current_etag=etag(household),
        )


def _touch(household: Household, principal: Principal) -> None:
    household.version += 1
    household.updated_at = datetime.now(UTC)
    household.updated_by = principal.client_id


def _in_household(person_id: uuid.UUID, household_id: uuid.UUID) -> Conflict:
    return AlreadyInHousehold(
        f"person {person_id} is already a member of a household",
        person_id=str(person_id),
        household=location(household_id),
    )


async def _visible_persons(
    session: AsyncSession, principal: Principal, ids: list[uuid.UUID], field: str
) -> dict[uuid.UUID, Person]:
    """The persons, or 422 naming each one that does not exist or lies outside the caller's areas."""
    found = await repository.persons(session, ids)
    errors = [
        {"field": field.format(i=i), "reason": f"no person {pid} (or outside the client's areas)"}
        for i, pid in enumerate(ids)
        if (p := found.get(pid)) is None or not sees(principal, p)
    ]
    if errors:
        raise ValidationFailed(errors)
    return found


async def _not_in_a_household(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    current = await repository.current_memberships(session, ids)
    if current:
        raise _in_household(current[0].person_id, current[0].household_id)


def _check_members(members: list[MemberIn]) -> None:
    heads = [i for i, m in enumerate(members) if m.relationship == HEAD]
    errors: list[dict[str, Any]] = []
    if len(heads) != 1:
        errors.append(
            {
                "field": "body.members",
                "reason": f"a household has exactly one member with relationship 'head' (got {len(heads)})",
            }
        )
    seen: set[uuid.UUID] = set()
    for i, m in enumerate(members):
        if m.person_id in seen:
            errors.append({"field": f"body.members.{i}.person_id", "reason": "listed more than once"})
        seen.add(m.person_id)
    if errors:
        raise ValidationFailed(errors)


async def _publish_poverty(session: AsyncSession, household: Household, status: PovertyStatus) -> None:
    await EVENTS.publish(
        session,
        HOUSEHOLD_POVERTY_STATUS_CHANGED,
        str(household.id),
        HouseholdPovertyStatusChanged(
            household_id=household.id,
            status=status.status,
            valid_from=status.valid_from,
            document=status.document,
            commune_code=household.commune_code,
            district_code=household.district_code,
            province_code=household.province_code,
        ),
    )


async def _publish_joined(session: AsyncSession, household: Household, *members: HouseholdMember) -> None:
    await EVENTS.publish_many(
        session,
        HOUSEHOLD_MEMBER_JOINED,
        [
            (
                str(household.id),
                HouseholdMemberJoined(
                    household_id=household.id,
                    person_id=m.person_id,
                    joined_on=m.joined_on,
                    commune_code=household.commune_code,
                    district_code=household.district_code,
                    province_code=household.province_code,
                ),
            )
            for m in members
        ],
    )


def _poverty_row(household_id: uuid.UUID, body: PovertyIn, principal: Principal) -> PovertyStatus:
    return PovertyStatus(
        household_id=household_id,
        status=body.status,
        valid_from=body.valid_from,
        document=body.document,
        recorded_at=datetime.now(UTC),
        recorded_by=principal.client_id,
    )


async def create(session: AsyncSession, principal: Principal, body: HouseholdCreate) -> HouseholdView:
    _check_members(body.members)
    district_code, province_code = await persons_service.place_in_area(session, principal, body.commune_code)
    ids = [m.person_id for m in body.members]
    await _visible_persons(session, principal, ids, "body.members.{i}.person_id")
    await _not_in_a_household(session, ids)

    today = clock.today()
    now = datetime.now(UTC)
    household = Household(
        id=uuid.uuid4(),
        code=body.code,
        commune_code=body.commune_code,
        district_code=district_code,
        province_code=province_code,
        address_line=body.address_line,
        version=1,
        created_at=now,
        updated_at=now,
        created_by=principal.client_id,
        updated_by=principal.client_id,
    )
    try:
        await repository.flush(session, household)
    except repository.DuplicateCode as exc:
        raise DuplicateHouseholdCode(f"a household with code {body.code!r} already exists") from exc
    rows: list[Any] = [
        HouseholdAddress(
            household_id=household.id,
            commune_code=household.commune_code,
            district_code=district_code,
            province_code=province_code,
            address_line=household.address_line,
            valid_from=today,
        )
    ]
    rows += [
        HouseholdMember(
            household_id=household.id,
            person_id=m.person_id,
            relationship=m.relationship,
            joined_on=m.joined_on or today,
        )
        for m in body.members
    ]
    poverty = _poverty_row(household.id, body.poverty, principal) if body.poverty else None
    if poverty is not None:
        rows.append(poverty)
    try:
        await repository.flush(session, *rows)
    except repository.AlreadyMember as exc:  # a concurrent request placed one of them first
        current = await repository.current_memberships(session, ids)
        other = next(m for m in current if m.household_id != household.id)
        raise _in_household(other.person_id, other.household_id) from exc
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=household.id,
        version=1,
        changed_by=principal.client_id,
        reason="",
        before=None,
        after=_snapshot(household, body.members, body.poverty),
    )
    if poverty is not None:
        await _publish_poverty(session, household, poverty)
    await _publish_joined(session, household, *(r for r in rows if isinstance(r, HouseholdMember)))
    await duplicates.flag(session, ids, principal.client_id)  # same name and birth year in the household
    await schedules_service.refresh_person(session, *ids)
    return await _view(session, household)


def _snapshot(
    household: Household, members: list[MemberIn] | None = None, poverty: PovertyIn | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": household.code,
        "commune_code": household.commune_code,
        "district_code": household.district_code,
        "province_code": household.province_code,
        "address_line": household.address_line,
    }
    if members is not None:
        out["members"] = [{"person_id": str(m.person_id), "relationship": m.relationship} for m in members]
    if poverty is not None:
        out["poverty"] = poverty.model_dump(mode="json")
    return out


async def _view(session: AsyncSession, household: Household) -> HouseholdView:
    return HouseholdView(
        household,
        await repository.members(session, household.id),
        await repository.poverty_history(session, household.id),
        await repository.addresses(session, household.id),
    )


async def get_visible(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, *, for_update: bool = False
) -> Household:
    """The household, or 404 when missing or outside the caller's areas (existence is not revealed)."""
    household = await repository.get(session, household_id, for_update=for_update)
    household = visible_or_404(principal, household, f"household {household_id}")
    return household


async def read(session: AsyncSession, principal: Principal, household_id: uuid.UUID) -> HouseholdView:
    return await _view(session, await get_visible(session, principal, household_id))


async def history(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """The household's change records, newest first (404 when missing or outside the caller's areas)."""
    await get_visible(session, principal, household_id)
    return await history_service.page(session, repository.RECORD_TYPE, household_id, cursor, limit)


async def add_poverty_status(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, if_match: str | None, body: PovertyIn
) -> HouseholdView:
    household = await get_visible(session, principal, household_id, for_update=True)
    _check_if_match(household, if_match, required=False)
    poverty = _poverty_row(household.id, body, principal)
    session.add(poverty)
    _touch(household, principal)
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=household.id,
        version=household.version,
        changed_by=principal.client_id,
        reason=body.document,
        before=None,
        after={"poverty": body.model_dump(mode="json")},
    )
    await session.flush()
    await _publish_poverty(session, household, poverty)
    return await _view(session, household)


async def move(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, if_match: str | None, body: MoveIn
) -> HouseholdView:
    household = await get_visible(session, principal, household_id, for_update=True)
    _check_if_match(household, if_match, required=True)
    district_code, province_code = await persons_service.place_in_area(session, principal, body.commune_code)
    current = await repository.current_address(session, household.id)
    if current is not None and body.valid_from <= current.valid_from:
        raise ValidationFailed(
            [
                {
                    "field": "body.valid_from",
                    "reason": f"must be after the start of the current address ({current.valid_from})",
                }
            ]
        )
    address_line = household.address_line if body.address_line is None else body.address_line
    before = _snapshot(household)
    if current is not None:
        current.valid_to = body.valid_from
    session.add(
        HouseholdAddress(
            household_id=household.id,
            commune_code=body.commune_code,
            district_code=district_code,
            province_code=province_code,
            address_line=address_line,
            valid_from=body.valid_from,
        )
    )
    household.commune_code, household.district_code, household.province_code = (
        body.commune_code,
        district_code,
        province_code,
    )
    household.address_line = address_line
    _touch(household, principal)
    after = {**_snapshot(household), "valid_from": body.valid_from.isoformat()}
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=household.id,
        version=household.version,
        changed_by=principal.client_id,
        reason=body.reason,
        before=before,
        after=after,
    )
    await session.flush()
    return await _view(session, household)


async def add_member(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, if_match: str | None, body: MemberIn
) -> HouseholdView:
    household = await get_visible(session, principal, household_id, for_update=True)
    _check_if_match(household, if_match, required=False)
    if body.relationship == HEAD:
        raise ValidationFailed(
            [
                {
                    "field": "body.relationship",
                    "reason": "the household already has a head; remove the head naming a new one",
                }
            ]
        )
    await _visible_persons(session, principal, [body.person_id], "body.person_id")
    await _not_in_a_household(session, [body.person_id])
    member = HouseholdMember(
        household_id=household.id,
        person_id=body.person_id,
        relationship=body.relationship,
        joined_on=body.joined_on or clock.today(),
    )
    try:
        await repository.flush(session, member)
    except repository.AlreadyMember as exc:
        current = await repository.current_memberships(session, [body.person_id])
        raise _in_household(body.person_id, current[0].household_id if current else household.id) from exc
    _touch(household, principal)
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=household.id,
        version=household.version,
        changed_by=principal.client_id,
        reason="",
        before=None,
        after={
            "member_joined": {
                "person_id": str(body.person_id),
                "relationship": body.relationship,
                "joined_on": member.joined_on.isoformat(),
            }
        },
    )
    await session.flush()
    await _publish_joined(session, household, member)
    await duplicates.flag(session, [body.person_id], principal.client_id)
    await schedules_service.refresh_person(session, body.person_id)
    return await _view(session, household)


async def remove_member(
    session: AsyncSession,
    principal: Principal,
    household_id: uuid.UUID,
    person_id: uuid.UUID,
    if_match: str | None,
    left_on: date | None,
    new_head: uuid.UUID | None,
) -> HouseholdView:
    household = await get_visible(session, principal, household_id, for_update=True)
    _check_if_match(household, if_match, required=False)
    members = {m.person_id: m for m, _ in await repository.members(session, household.id, for_update=True)}
    member = members.get(person_id)
    if member is None:
        raise NotFound(f"person {person_id} is not a current member of household {household_id}")
    left_on = left_on or clock.today()
    if left_on < member.joined_on:
        raise ValidationFailed(
            [{"field": "query.left_on", "reason": f"must not be before the day the person joined ({member.joined_on})"}]
        )
    change: dict[str, Any] = {"member_left": {"person_id": str(person_id), "left_on": left_on.isoformat()}}
    if member.relationship == HEAD:
        successor = members.get(new_head) if new_head is not None else None
        if successor is None or new_head == person_id:
            raise ValidationFailed(
                [
                    {
                        "field": "query.new_head",
                        "reason": "removing the head needs new_head: the person id of another "
                        "current member, who becomes the head",
                    }
                ]
            )
        change["new_head"] = {"person_id": str(successor.person_id), "was": successor.relationship}
        successor.relationship = HEAD
    elif new_head is not None:
        raise ValidationFailed([{"field": "query.new_head", "reason": "only when removing the head"}])
    member.left_on = left_on
    _touch(household, principal)
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=household.id,
        version=household.version,
        changed_by=principal.client_id,
        reason="",
        before=None,
        after=change,
    )
    await session.flush()
    await EVENTS.publish(
        session,
        HOUSEHOLD_MEMBER_LEFT,
        str(household.id),
        HouseholdMemberLeft(
            household_id=household.id,
            person_id=person_id,
            left_on=left_on,
            commune_code=household.commune_code,
            district_code=household.district_code,
            province_code=household.province_code,
        ),
    )
    await schedules_service.refresh_person(session, person_id)
    return await _view(session, household)


async def rekey_person(
    session: AsyncSession, source: uuid.UUID, target: uuid.UUID, *, today: date, close_membership: bool
) -> int:
    """A merge (``duplicates.service``): ``source``'s memberships now belong to ``target`` (its open one in the
    target's household ends first)."""
    return await repository.rekey_person(session, source, target, today=today, close_membership=close_membership)


NewHousehold = repository.NewHousehold


async def create_many(
    session: AsyncSession, rows: Sequence[NewHousehold], *, by: str, today: date, reason: str
) -> set[uuid.UUID]:
    """A bulk import's households whose code is not taken, with address, members, poverty status and first change
    record (``snapshot``); the ids inserted."""
    inserted = await repository.insert_many(session, rows, by=by, today=today)
    await history_service.record_created(
        session, repository.RECORD_TYPE, by, [(r.id, reason, r.snapshot) for r in rows if r.id in inserted]
    )
    return inserted
