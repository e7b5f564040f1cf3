"""Alternative care: record a placement (the rules of Law on Children Art 60–69 checked on write), end it, record
the carer's reports (due 6 months after the start, then yearly; in the deadline lists). Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import visible_or_404
from common.clock import VIETNAM_TZ
from common.concurrency import check_if_match
from common.crypto import FieldCipher
from common.errors import ValidationFailed

from ..access import Reader
from ..access.service import audit
from ..cases import service as cases
from ..changes import service as changes
from ..children import service as children
from ..deadlines import service as deadlines
from ..events import EVENTS, PLACEMENT_ENDED, PlacementEnded
from ..models import Placement
from ..rules import deadlines as rules
from ..rules import placement as placement_rules
from ..rules.deadlines import Step
from . import repository, terms
from .exceptions import PlacementActive, PlacementAlreadyEnded
from .schemas import PlacementEndIn, PlacementIn, PlacementOut

CARER = "placements.carer"


def location(placement_id: uuid.UUID) -> str:
    return f"/child-protection/placements/{placement_id}"


async def out(session: AsyncSession, cipher: FieldCipher, p: Placement) -> PlacementOut:
    return PlacementOut(
        id=p.id,
        child_id=p.child_id,
        case_id=p.case_id,
        kind=p.kind,
        carer=cipher.decrypt(p.carer_enc, CARER) or "",
        carer_birth_date=p.carer_birth_date,
        non_kin_reason=p.non_kin_reason,
        siblings_in_care=p.siblings_in_care,
        siblings_together=p.siblings_together,
        siblings_reason=p.siblings_reason,
        child_consulted=p.child_consulted,
        starts_on=p.starts_on,
        ends_on=p.ends_on,
        end_reason=p.end_reason,
        reports_made=p.reports_made,
        next_report_due=None if p.ends_on else rules.carer_report_due(p.starts_on, p.reports_made),
        foster_allowance=await terms.foster_allowance(session, p),
        commune_code=p.commune_code,
        version=p.version,
        recorded_by=p.recorded_by,
        recorded_at=p.recorded_at,
    )


async def get_visible(
    session: AsyncSession, reader: Reader, placement_id: uuid.UUID, *, for_update: bool = False
) -> Placement:
    row: Placement = visible_or_404(
        reader, await repository.get(session, placement_id, for_update=for_update), f"placement {placement_id}"
    )
    return row


async def create(session: AsyncSession, reader: Reader, cipher: FieldCipher, body: PlacementIn) -> Placement:
    child = await children.get_visible(session, reader, body.child_id, for_update=True)
    case_number = None
    if body.case_id is not None:
        case = await cases.get_visible(session, reader, body.case_id)
        case_number = cases.number(case)
        if case.child_id != child.id:
            raise ValidationFailed([{"field": "body.case_id", "reason": "a case of another child"}])
    if body.starts_on > clock.today():
        raise ValidationFailed([{"field": "body.starts_on", "reason": "in the future"}])
    problems = placement_rules.problems(
        placement_rules.Placement(
            kind=body.kind,
            starts_on=body.starts_on,
            child_birth_date=child.date_of_birth,
            carer_birth_date=body.carer_birth_date,
            non_kin_reason=body.non_kin_reason,
            siblings_in_care=body.siblings_in_care,
            siblings_together=body.siblings_together,
            siblings_reason=body.siblings_reason,
            child_consulted=body.child_consulted,
        )
    )
    if problems:
        raise ValidationFailed([{"field": f"body.{p.field}", "reason": p.reason} for p in problems])
    for other in await repository.of_child(session, child.id):
        if other.ends_on is None or other.ends_on >= body.starts_on:
            raise PlacementActive(
                f"the child is in placement {other.id} from {other.starts_on.isoformat()}; end it first",
                existing=location(other.id),
            )
    now = clock.now()
    p = Placement(
        id=uuid.uuid4(),
        child_id=child.id,
        case_id=body.case_id,
        kind=body.kind.value,
        carer_enc=cipher.encrypt(body.carer, CARER),
        carer_birth_date=body.carer_birth_date,
        non_kin_reason=body.non_kin_reason,
        siblings_in_care=body.siblings_in_care,
        siblings_together=body.siblings_together,
        siblings_reason=body.siblings_reason,
        child_consulted=body.child_consulted,
        starts_on=body.starts_on,
        recorded_by=reader.client_id,
        recorded_at=now,
        commune_code=child.commune_code,
        district_code=child.district_code,
        province_code=child.province_code,
    )
    await repository.add(session, p)
    first = rules.carer_report_due(p.starts_on, 0)
    await deadlines.open_(
        session,
        Step.CARER_REPORT,
        child_id=child.id,
        placement_id=p.id,
        case_id=p.case_id,
        due_at=rules.end_of_day(first, VIETNAM_TZ),
        area=p,
        opened_at=now,
    )
    await terms.publish_recorded(session, p, child, case_number)
    await changes.record(session, "placement", p, case_id=p.case_id, child_id=child.id)
    await audit(session, reader, "placement", p.id)
    return p


async def _touched(session: AsyncSession, reader: Reader, p: Placement) -> None:
    p.version += 1
    await session.flush()
    await changes.record(session, "placement", p, case_id=p.case_id, child_id=p.child_id)
    await audit(session, reader, "placement", p.id)


async def carer_report(
    session: AsyncSession, reader: Reader, placement_id: uuid.UUID, if_match: str | None
) -> Placement:
    p = await get_visible(session, reader, placement_id, for_update=True)
    check_if_match(if_match, p.version, "placement")
    if p.ends_on is not None:
        raise PlacementAlreadyEnded("the placement has ended")
    now = clock.now()
    await deadlines.meet(session, Step.CARER_REPORT, now, placement_id=p.id)
    p.reports_made += 1
    await deadlines.open_(
        session,
        Step.CARER_REPORT,
        child_id=p.child_id,
        placement_id=p.id,
        case_id=p.case_id,
        due_at=rules.end_of_day(rules.carer_report_due(p.starts_on, p.reports_made), VIETNAM_TZ),
        area=p,
        opened_at=now,
    )
    await _touched(session, reader, p)
    return p


async def end(
    session: AsyncSession, reader: Reader, placement_id: uuid.UUID, if_match: str | None, body: PlacementEndIn
) -> Placement:
    p = await get_visible(session, reader, placement_id, for_update=True)
    check_if_match(if_match, p.version, "placement")
    if p.ends_on is not None:
        raise PlacementAlreadyEnded(f"the placement ended on {p.ends_on.isoformat()}")
    if body.ends_on < p.starts_on:
        raise ValidationFailed([{"field": "body.ends_on", "reason": "before the placement starts"}])
    p.ends_on, p.end_reason = body.ends_on, body.reason
    await deadlines.meet(session, Step.CARER_REPORT, clock.now(), placement_id=p.id)
    await EVENTS.publish(
        session,
        PLACEMENT_ENDED,
        str(p.id),
        PlacementEnded(
            placement_id=p.id,
            child_id=p.child_id,
            kind=p.kind,
            ends_on=body.ends_on,
            commune_code=p.commune_code,
            district_code=p.district_code,
            province_code=p.province_code,
        ),
    )
    await _touched(session, reader, p)
    return p


async def read(session: AsyncSession, reader: Reader, cipher: FieldCipher, placement_id: uuid.UUID) -> PlacementOut:
    p = await get_visible(session, reader, placement_id)
    await audit(session, reader, "placement", p.id)
    return await out(session, cipher, p)


async def of_child(
    session: AsyncSession, reader: Reader, cipher: FieldCipher, child_id: uuid.UUID
) -> list[PlacementOut]:
    child = await children.get_visible(session, reader, child_id)
    await audit(session, reader, "child", child.id, detail="placements")
    return [await out(session, cipher, p) for p in await repository.of_child(session, child.id)]
