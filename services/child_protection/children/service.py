"""Use cases of children: record, read (audited), correct (If-Match), link to the registry, group history.
Never commits."""

from __future__ import annotations

import uuid
from datetime import date

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import sees, visible_or_404
from common.concurrency import check_if_match
from common.crypto import FieldCipher
from common.db import UniqueViolation, flush_in_savepoint
from common.errors import NotFound, ValidationFailed

from ..access import Reader
from ..access.service import audit
from ..changes import service as changes
from ..events import EVENTS, INSURANCE_PROPOSED, InsuranceProposed
from ..models import Child, ChildGroup
from ..placements import terms as foster_terms
from ..reference import service as reference
from ..rules.placement import age_on
from . import repository
from .exceptions import ChildExists, MembershipEnded, MembershipOverlaps
from .schemas import ChildIn, ChildOut, ChildPatch, MembershipEndIn, MembershipIn, MembershipOut, PersonMergedIn

CHILD_UNDER = 16
TE_UNDER = 6
WHEREABOUTS = "children.whereabouts"


log = structlog.get_logger("child_protection.children")


def location(child_id: uuid.UUID) -> str:
    return f"/child-protection/children/{child_id}"


def _exists(reader: Reader, person_id: uuid.UUID | None, existing: Child | None) -> ChildExists:
    """409: the registry person already has a child record. Its location only when the reader may see it: a record
    outside the reader's areas is neither named nor placed (which child, in which commune, stays unknown)."""
    if existing is not None and sees(reader, existing):
        return ChildExists(f"registry person {person_id} already has a child record", existing=location(existing.id))
    return ChildExists(
        f"registry person {person_id} already has a child record, outside your areas: ask the provincial office"
    )


def _check_birth(born: date | None, field: str = "body.date_of_birth") -> None:
    if born is None:
        return
    today = clock.today()
    if born > today:
        raise ValidationFailed([{"field": field, "reason": "in the future"}])
    if age_on(born, today) >= CHILD_UNDER:
        raise ValidationFailed([{"field": field, "reason": f"a child is under {CHILD_UNDER} (Law on Children Art 1)"}])


async def get_visible(session: AsyncSession, reader: Reader, child_id: uuid.UUID, *, for_update: bool = False) -> Child:
    child: Child = visible_or_404(
        reader, await repository.get(session, child_id, for_update=for_update), f"child {child_id}"
    )
    return child


def _membership(m: ChildGroup) -> MembershipOut:
    return MembershipOut(
        id=m.id,
        group=m.group_code,
        valid_from=m.valid_from,
        valid_to=m.valid_to,
        evidence=m.evidence,
        ended_evidence=m.ended_evidence,
        recorded_by=m.recorded_by,
        recorded_at=m.recorded_at,
    )


async def out(session: AsyncSession, cipher: FieldCipher, child: Child) -> ChildOut:
    groups = await repository.memberships(session, child.id)
    return ChildOut(
        id=child.id,
        person_id=child.person_id,
        full_name=child.full_name,
        date_of_birth=child.date_of_birth,
        sex=child.sex,
        commune_code=child.commune_code,
        district_code=child.district_code,
        province_code=child.province_code,
        whereabouts=cipher.decrypt(child.whereabouts_enc, WHEREABOUTS),
        has_insurance_card=child.has_insurance_card,
        insurance_proposed_at=child.insurance_proposed_at,
        groups=[_membership(m) for m in groups],
        version=child.version,
        created_at=child.created_at,
        created_by=child.created_by,
        updated_at=child.updated_at,
        updated_by=child.updated_by,
    )


async def _check_memberships(
    session: AsyncSession, items: list[MembershipIn], born: date | None, at: str = "body"
) -> None:
    await reference.check_groups(session, [m.group for m in items], f"{at}.groups")
    for i, m in enumerate(items):
        if m.valid_from > clock.today():
            raise ValidationFailed([{"field": f"{at}.groups.{i}.valid_from", "reason": "in the future"}])
        if born is not None and m.valid_from < born:
            raise ValidationFailed([{"field": f"{at}.groups.{i}.valid_from", "reason": "before the child's birth"}])
    codes = [m.group for m in items]
    if len(set(codes)) != len(codes):
        raise ValidationFailed([{"field": f"{at}.groups", "reason": "a group is listed twice"}])


async def create(
    session: AsyncSession,
    reader: Reader,
    cipher: FieldCipher,
    body: ChildIn,
    case_id: uuid.UUID | None = None,
    case_number: str | None = None,
    at: str = "body",
) -> Child:
    """``at``: where the child's fields are in the request (``body``, or ``body.child`` for a new case)."""
    _check_birth(body.date_of_birth, f"{at}.date_of_birth")
    area = reference.place_for_write(reader, body.commune_code, f"{at}.commune_code")
    await _check_memberships(session, body.groups, body.date_of_birth, at)
    now = clock.now()
    child = Child(
        id=uuid.uuid4(),
        person_id=body.person_id,
        full_name=body.full_name.strip(),
        date_of_birth=body.date_of_birth,
        sex=body.sex,
        commune_code=area.commune_code,
        district_code=area.district_code,
        province_code=area.province_code,
        whereabouts_enc=cipher.encrypt(body.whereabouts, WHEREABOUTS),
        has_insurance_card=body.has_insurance_card,
        created_by=reader.client_id,
        updated_by=reader.client_id,
        created_at=now,
        updated_at=now,
    )
    try:
        await flush_in_savepoint(session, child)
    except UniqueViolation as exc:
        existing = await repository.by_person(session, body.person_id) if body.person_id else None
        raise _exists(reader, body.person_id, existing) from exc
    for m in body.groups:
        await repository.add_membership(session, child.id, m.group, m.valid_from, m.evidence, reader.client_id)
    await propose_insurance_if_due(session, child, case_id, case_number)
    await changes.record(session, "child", child, child_id=child.id)
    await audit(session, reader, "child", child.id)
    return child


async def read(session: AsyncSession, reader: Reader, cipher: FieldCipher, child_id: uuid.UUID) -> ChildOut:
    child = await get_visible(session, reader, child_id)
    await audit(session, reader, "child", child.id)
    return await out(session, cipher, child)


async def propose_insurance_if_due(
    session: AsyncSession, child: Child, case_id: uuid.UUID | None, case_number: str | None
) -> bool:
    """A child identified (registry person), under 6 and without a card is proposed for a TE card, once."""
    if (
        child.person_id is None
        or child.date_of_birth is None
        or child.has_insurance_card is not False
        or child.insurance_proposed_at is not None
        or age_on(child.date_of_birth, clock.today()) >= TE_UNDER
    ):
        return False
    child.insurance_proposed_at = clock.now()
    await EVENTS.publish(
        session,
        INSURANCE_PROPOSED,
        str(child.id),
        InsuranceProposed(
            child_id=child.id,
            person_id=child.person_id,
            case_id=case_id,
            case_number=case_number,
            date_of_birth=child.date_of_birth,
            commune_code=child.commune_code,
            district_code=child.district_code,
            province_code=child.province_code,
        ),
    )
    return True


async def update(
    session: AsyncSession,
    reader: Reader,
    cipher: FieldCipher,
    child_id: uuid.UUID,
    if_match: str | None,
    patch: ChildPatch,
) -> Child:
    child = await get_visible(session, reader, child_id, for_update=True)
    check_if_match(if_match, child.version, "child's record")
    changes_ = patch.changes()
    for required in ("full_name", "commune_code"):
        if required in changes_ and changes_[required] is None:
            raise ValidationFailed([{"field": f"body.{required}", "reason": "cannot be cleared"}])
    born_before = child.date_of_birth
    if "date_of_birth" in changes_:
        _check_birth(changes_["date_of_birth"])
        child.date_of_birth = changes_["date_of_birth"]
    if "commune_code" in changes_:
        area = reference.place_for_write(reader, changes_["commune_code"])
        child.commune_code, child.district_code, child.province_code = (
            area.commune_code,
            area.district_code,
            area.province_code,
        )
    if "person_id" in changes_ and changes_["person_id"] != child.person_id:
        other = await repository.by_person(session, changes_["person_id"]) if changes_["person_id"] else None
        if other is not None:
            raise _exists(reader, changes_["person_id"], other)
        child.person_id = changes_["person_id"]
    for name in ("full_name", "sex", "has_insurance_card"):
        if name in changes_:
            setattr(child, name, changes_[name])
    if "whereabouts" in changes_:
        child.whereabouts_enc = cipher.encrypt(changes_["whereabouts"], WHEREABOUTS)
    child.version += 1
    child.updated_by = reader.client_id
    child.updated_at = clock.now()
    await session.flush()
    if child.date_of_birth != born_before:
        await foster_terms.changed(session, child)
    await propose_insurance_if_due(session, child, None, None)
    await changes.record(session, "child", child, child_id=child.id)
    await audit(session, reader, "child", child.id)
    return child


async def add_membership(session: AsyncSession, reader: Reader, child_id: uuid.UUID, body: MembershipIn) -> Child:
    child = await get_visible(session, reader, child_id, for_update=True)
    await _check_memberships(session, [body], child.date_of_birth)
    for m in await repository.memberships(session, child.id):
        if m.group_code == body.group and (m.valid_to is None or m.valid_to >= body.valid_from):
            raise MembershipOverlaps(
                f"the child is already in {body.group} from {m.valid_from.isoformat()}"
                + (f" to {m.valid_to.isoformat()}" if m.valid_to else " (open)"),
                membership_id=m.id,
            )
    await repository.add_membership(session, child.id, body.group, body.valid_from, body.evidence, reader.client_id)
    await foster_terms.changed(session, child)
    return await _touched(session, reader, child)


async def end_membership(
    session: AsyncSession, reader: Reader, child_id: uuid.UUID, membership_id: int, body: MembershipEndIn
) -> Child:
    child = await get_visible(session, reader, child_id, for_update=True)
    m = await repository.membership(session, child.id, membership_id)
    if m is None:
        raise NotFound(f"no membership {membership_id} of child {child_id}")
    if m.valid_to is not None:
        raise MembershipEnded(f"membership {membership_id} already ended on {m.valid_to.isoformat()}")
    if body.valid_to < m.valid_from:
        raise ValidationFailed([{"field": "body.valid_to", "reason": "before the membership starts"}])
    m.valid_to, m.ended_evidence = body.valid_to, body.evidence
    await foster_terms.changed(session, child)
    return await _touched(session, reader, child)


async def _touched(session: AsyncSession, reader: Reader, child: Child) -> Child:
    child.version += 1
    child.updated_by = reader.client_id
    child.updated_at = clock.now()
    await session.flush()
    await changes.record(session, "child", child, child_id=child.id)
    await audit(session, reader, "child", child.id)
    return child


async def get_visible_unchecked(session: AsyncSession, child_id: uuid.UUID) -> Child:
    """The child of a case already checked visible (a case and its child share the case's area at opening)."""
    child = await repository.get(session, child_id)
    if child is None:
        raise NotFound(f"no child {child_id}")
    return child


async def person_merged(session: AsyncSession, data: PersonMergedIn) -> bool:
    """The registry merged two records of one person: a child identified as the record merged away now names the
    survivor (a new version, on the devices' feed). A child already identified as the survivor is a second child
    record of the same person: both stay as they are (an officer reconciles them; logged, identifiers only). True
    when a child was re-keyed."""
    child = await repository.by_person(session, data.person_id, for_update=True)
    if child is None or data.person_id == data.survivor_id:
        return False
    other = await repository.by_person(session, data.survivor_id)
    if other is not None:
        log.warning(
            "merged_person_has_two_child_records",
            person_id=str(data.person_id),
            survivor_id=str(data.survivor_id),
            children=[str(child.id), str(other.id)],
        )
        return False
    child.person_id = data.survivor_id
    child.version += 1
    child.updated_by = "registry"
    child.updated_at = clock.now()
    await session.flush()
    await changes.record(session, "child", child, child_id=child.id)
    return True
