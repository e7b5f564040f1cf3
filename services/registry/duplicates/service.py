"""Use cases of possible duplicates: flag pairs when records are registered, imported or join a household; list
them for officers; dismiss a pair or merge it. Never merges by itself. Never commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import sees
from common.auth import Principal
from common.errors import NotFound, ValidationFailed
from common.pagination import keyset, page_of

from ..beneficiaries import service as beneficiaries
from ..events import EVENTS, PERSON_MERGED, PersonMerged
from ..history import service as history_service
from ..households import service as households
from ..models import Person, PossibleDuplicate
from ..persons import repository as persons_repository
from ..persons import service as persons_service
from ..persons.schemas import PersonOut
from ..referrals import service as referrals
from ..residential import service as residential
from ..schedules import service as schedules_service
from ..study import service as study
from . import flagging, repository
from .exceptions import MergeConflict, PairResolved
from .schemas import Dismiss, Merge


def _flag_view(d: PossibleDuplicate, a: Person, b: Person) -> dict[str, Any]:
    persons = [PersonOut.model_validate(p, from_attributes=True) for p in (a, b)]
    return {
        "id": d.id,
        "status": d.status,
        "rules": d.rules,
        "persons": persons,
        "survivor_id": d.survivor_id,
        "note": d.note,
        "created_at": d.created_at,
        "created_by": d.created_by,
        "resolved_at": d.resolved_at,
        "resolved_by": d.resolved_by,
    }


async def page(
    session: AsyncSession, principal: Principal, *, status: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    after = keyset(cursor, datetime.fromisoformat, uuid.UUID)
    rows = await repository.page(session, areas=principal.limited_to, status=status, after=after, limit=limit + 1)
    rows, next_cursor = page_of(rows, limit, lambda r: [r[0].created_at.isoformat(), str(r[0].id)])
    return [_flag_view(*r) for r in rows], next_cursor


@dataclass
class _Pair:
    flag: PossibleDuplicate
    persons: dict[uuid.UUID, Person]


async def _open_pair(session: AsyncSession, principal: Principal, flag_id: uuid.UUID) -> _Pair:
    """The open pair with both records locked; 404 when missing or when a record lies outside the caller's areas."""
    d = await repository.get(session, flag_id, for_update=True)
    persons = await repository.lock_persons(session, [d.person_id, d.other_id]) if d is not None else {}
    if d is None or len(persons) != 2 or not all(sees(principal, p) for p in persons.values()):
        raise NotFound(f"no possible duplicate {flag_id}")
    if d.status != "open":
        raise PairResolved(f"this pair is already {d.status}", pair_status=d.status)
    return _Pair(d, persons)


def _resolve(d: PossibleDuplicate, principal: Principal, status: str, note: str, now: datetime) -> dict[str, Any]:
    before = {"status": d.status}
    d.status, d.note, d.resolved_by, d.resolved_at = status, note, principal.client_id, now
    return before


async def history(
    session: AsyncSession, principal: Principal, flag_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Who dismissed or merged the pair, when and why (404 as for a pair the caller may not see)."""
    d = await repository.get(session, flag_id)
    persons = (
        await repository.lock_persons(session, [])
        if d is None
        else {
            p.id: p
            for p in [
                await persons_repository.get(session, d.person_id),
                await persons_repository.get(session, d.other_id),
            ]
            if p is not None
        }
    )
    if d is None or not all(sees(principal, p) for p in persons.values()):
        raise NotFound(f"no possible duplicate {flag_id}")
    return await history_service.page(session, repository.RECORD_TYPE, flag_id, cursor, limit)


async def dismiss(session: AsyncSession, principal: Principal, flag_id: uuid.UUID, body: Dismiss) -> dict[str, Any]:
    pair = await _open_pair(session, principal, flag_id)
    d, now = pair.flag, datetime.now(UTC)
    before = _resolve(d, principal, "dismissed", body.reason, now)
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=d.id,
        version=2,
        changed_by=principal.client_id,
        reason=body.reason,
        before=before,
        after={"status": d.status},
    )
    await session.flush()
    return _flag_view(d, pair.persons[d.person_id], pair.persons[d.other_id])


def _merge_conflicts(survivor: Person, merged: Person, facts: dict[uuid.UUID, dict[str, Any]]) -> list[str]:
    s, m = facts[survivor.id], facts[merged.id]
    problems = []
    if survivor.national_id and merged.national_id and survivor.national_id != merged.national_id:
        problems.append("the two records have different national IDs")
    if s["beneficiary_id"] and m["beneficiary_id"]:
        problems.append(
            "both records are beneficiaries of the monthly allowance: terminate the beneficiary that "
            "should not continue (a decision), then merge"
        )
    if s["household_id"] and m["household_id"] and s["household_id"] != m["household_id"]:
        problems.append("the records are members of different households: remove one membership first")
    if s["facility_id"] and m["facility_id"]:
        problems.append("both records are residents of a facility: discharge one first")
    if merged.death_date and not survivor.death_date:
        problems.append(
            "the record merged away has a recorded death and the survivor has none: keep the record "
            "with the death, or record it on the survivor first"
        )
    return problems


async def merge(session: AsyncSession, principal: Principal, flag_id: uuid.UUID, body: Merge) -> dict[str, Any]:
    """Merge the pair into ``body.survivor_id``: the other record's applications, beneficiary (with its decisions),
    household memberships, residencies, study periods and open application drafts move to the survivor; the other
    record stays, with its history, marked ``merged_into``; ``registry.person.merged.v1`` tells consumers to re-key."""
    pair = await _open_pair(session, principal, flag_id)
    d = pair.flag
    if body.survivor_id not in pair.persons:
        raise ValidationFailed(
            [
                {
                    "field": "body.survivor_id",
                    "reason": f"must be one of the pair's two records: {d.person_id} or {d.other_id}",
                }
            ]
        )
    survivor = pair.persons[body.survivor_id]
    merged = next(p for pid, p in pair.persons.items() if pid != body.survivor_id)
    facts = {p.id: await repository.facts(session, p.id) for p in (survivor, merged)}
    if problems := _merge_conflicts(survivor, merged, facts):
        raise MergeConflict("these records cannot be merged as they are: " + "; ".join(problems), problems=problems)

    now, today = datetime.now(UTC), clock.today()
    same_household = (
        facts[survivor.id]["household_id"] is not None
        and facts[survivor.id]["household_id"] == facts[merged.id]["household_id"]
    )
    # Each owner re-keys its rows (the applications, the beneficiary with its decisions, memberships, residencies,
    # study periods); the response and the history name how many of each moved.
    moved = await beneficiaries.rekey_person(session, merged.id, survivor.id)
    moved["household_memberships"] = await households.rekey_person(
        session, merged.id, survivor.id, today=today, close_membership=same_household
    )
    moved["residencies"] = await residential.rekey_person(session, merged.id, survivor.id)
    moved["study_periods"] = await study.rekey_person(session, merged.id, survivor.id)
    moved["application_drafts"] = await referrals.rekey_person(
        session, merged.id, survivor.id, principal.client_id, now
    )
    moved["decisions"] = await repository.decisions_of(session, survivor.id) if moved["beneficiaries"] else 0

    await persons_service.merge_into(session, principal, merged, survivor, reason=body.reason, moved=moved, at=now)
    before = _resolve(d, principal, "merged", body.reason, now)
    d.survivor_id = survivor.id
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=d.id,
        version=2,
        changed_by=principal.client_id,
        reason=body.reason,
        before=before,
        after={"status": d.status, "survivor_id": str(survivor.id), "merged": str(merged.id), "moved": moved},
    )
    await repository.supersede(
        session,
        merged.id,
        except_id=d.id,
        by=principal.client_id,
        note=f"{merged.id} was merged into {survivor.id}",
        at=now,
    )
    await session.flush()
    await EVENTS.publish(
        session,
        PERSON_MERGED,
        str(merged.id),
        PersonMerged(
            person_id=merged.id,
            survivor_id=survivor.id,
            beneficiary_id=facts[merged.id]["beneficiary_id"],
            commune_code=survivor.commune_code,
            district_code=survivor.district_code,
            province_code=survivor.province_code,
        ),
    )
    await schedules_service.refresh_person(session, survivor.id)
    await flagging.flag(session, [survivor.id], principal.client_id)
    return {
        "duplicate": _flag_view(d, pair.persons[d.person_id], pair.persons[d.other_id]),
        "survivor": survivor,
        "merged": merged,
        "moved": moved,
        "location": persons_service.location(survivor.id),
    }
