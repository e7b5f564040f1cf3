"""Use cases of cases (Decree 56/2017): open on a report, read (audited), correct, take steps through the state
machine with its deadlines, approve plans (maker-checker) and request their money support, separations, and
referrals. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import visible_or_404
from common.clock import VIETNAM_TZ
from common.concurrency import check_if_match
from common.crypto import FieldCipher
from common.errors import MakerChecker, ValidationFailed
from common.pagination import KEYSET_INT, keyset, page_of

from ..access import Reader
from ..access.service import audit
from ..changes import service as changes
from ..children import service as children
from ..deadlines import service as deadlines
from ..events import (
    ALLOWANCE_REFERRED,
    CASE_OPENED,
    CASE_STEP,
    EVENTS,
    SUPPORT_REQUESTED,
    AllowanceReferred,
    CaseOpened,
    CaseStepTaken,
    SupportPaymentRequested,
)
from ..models import Case, CaseStep, Child, Plan, Separation, SupportItem
from ..reference import service as reference
from ..rules import deadlines as rules
from ..rules.cases import FORMS, Action, InvalidTransition, Status, actions_from, next_status
from ..rules.deadlines import Step
from . import repository
from .exceptions import CaseClosed, ChildNotIdentified, NoSeparation, TransitionRefused
from .schemas import (
    CaseIn,
    CaseOut,
    CasePage,
    CasePatch,
    CaseSummary,
    DeadlineBrief,
    HistoryOut,
    PlanOut,
    ReferralIn,
    SeparationIn,
    SeparationOut,
    StepIn,
    StepOut,
    SupportOut,
)

REPORT, PERPETRATOR, REPORTER = "cases.report", "cases.perpetrator", "cases.reporter"
NOTE, PLAN, SEPARATION_NOTE = "case_steps.note", "plans.content", "separations.note"
MAX_REPORT_AGE = timedelta(days=366)


def number(case: Case) -> str:
    return case.case_number


def location(case_id: uuid.UUID) -> str:
    return f"/child-protection/cases/{case_id}"


async def get_visible(session: AsyncSession, reader: Reader, case_id: uuid.UUID, *, for_update: bool = False) -> Case:
    case: Case = visible_or_404(
        reader, await repository.get(session, case_id, for_update=for_update), f"case {case_id}"
    )
    return case


async def _event_step(session: AsyncSession, case: Case, action: str, form: str | None, before: str | None) -> None:
    await EVENTS.publish(
        session,
        CASE_STEP,
        str(case.id),
        CaseStepTaken(
            case_id=case.id,
            case_number=number(case),
            child_id=case.child_id,
            action=action,
            form=form,
            from_status=before,
            to_status=case.status,
            version=case.version,
            commune_code=case.commune_code,
            district_code=case.district_code,
            province_code=case.province_code,
        ),
    )


async def open_case(session: AsyncSession, reader: Reader, cipher: FieldCipher, body: CaseIn) -> Case:
    if (body.child_id is None) == (body.child is None):
        raise ValidationFailed([{"field": "body.child", "reason": "give either child_id or child"}])
    now = clock.now()
    reported_at = body.reported_at or now
    if reported_at.tzinfo is None:
        raise ValidationFailed([{"field": "body.reported_at", "reason": "give a time zone (e.g. +07:00)"}])
    if reported_at > now + timedelta(minutes=5) or reported_at < now - MAX_REPORT_AGE:
        raise ValidationFailed([{"field": "body.reported_at", "reason": "not in the future, nor over a year ago"}])
    child: Child
    if body.child is not None:
        child = await children.create(session, reader, cipher, body.child, at="body.child")
    else:
        assert body.child_id is not None
        child = await children.get_visible(session, reader, body.child_id)
    case = Case(
        id=uuid.uuid4(),
        child_id=child.id,
        source=body.source,
        status=Status.REPORTED.value,
        reported_at=reported_at,
        report_enc=cipher.encrypt(body.report, REPORT),
        perpetrator_enc=cipher.encrypt(body.perpetrator, PERPETRATOR),
        reporter_enc=cipher.encrypt(body.reporter, REPORTER),
        commune_code=child.commune_code,
        district_code=child.district_code,
        province_code=child.province_code,
        opened_by=reader.client_id,
        opened_at=now,
        updated_at=now,
        updated_by=reader.client_id,
    )
    await repository.add(session, case)
    await session.refresh(case)
    await repository.add(
        session,
        CaseStep(
            case_id=case.id,
            action="report",
            from_status=None,
            to_status=case.status,
            form="01",
            at=now,
            by=reader.client_id,
        ),
    )
    due = rules.emergency_action_due(reported_at)
    await deadlines.open_(
        session, Step.EMERGENCY_ACTION, child_id=child.id, case_id=case.id, due_at=due, area=case, opened_at=reported_at
    )
    await EVENTS.publish(
        session,
        CASE_OPENED,
        str(case.id),
        CaseOpened(
            case_id=case.id,
            case_number=number(case),
            child_id=child.id,
            person_id=child.person_id,
            source=case.source,
            reported_at=reported_at,
            emergency_action_due=due,
            commune_code=case.commune_code,
            district_code=case.district_code,
            province_code=case.province_code,
        ),
    )
    await children.propose_insurance_if_due(session, child, case.id, number(case))
    await changes.record(session, "case", case, case_id=case.id, child_id=child.id)
    await audit(session, reader, "case", case.id)
    return case


async def out(session: AsyncSession, cipher: FieldCipher, case: Case) -> CaseOut:
    child = await children.get_visible_unchecked(session, case.child_id)
    now = clock.now()
    return CaseOut(
        id=case.id,
        number=number(case),
        child_id=case.child_id,
        person_id=child.person_id,
        child_name=child.full_name,
        source=case.source,
        status=case.status,
        next_actions=[a.value for a in actions_from(Status(case.status))],
        risk_level=case.risk_level,
        reported_at=case.reported_at,
        report=cipher.decrypt(case.report_enc, REPORT) or "",
        perpetrator=cipher.decrypt(case.perpetrator_enc, PERPETRATOR),
        reporter=cipher.decrypt(case.reporter_enc, REPORTER),
        commune_code=case.commune_code,
        district_code=case.district_code,
        province_code=case.province_code,
        version=case.version,
        opened_by=case.opened_by,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        updated_at=case.updated_at,
        updated_by=case.updated_by,
        plans=[
            PlanOut(
                id=p.id,
                number=p.number,
                status=p.status,
                content=cipher.decrypt(p.content_enc, PLAN) or "",
                services=list(p.services),
                drafted_by=p.drafted_by,
                drafted_at=p.drafted_at,
                decided_by=p.decided_by,
                decided_at=p.decided_at,
            )
            for p in await repository.plans(session, case.id)
        ],
        support=[_support(s) for s in await repository.support_items(session, case.id)],
        separations=[
            SeparationOut(
                id=s.id,
                decided_at=s.decided_at,
                starts_on=s.starts_on,
                ends_on=s.ends_on,
                note=cipher.decrypt(s.note_enc, SEPARATION_NOTE),
            )
            for s in await repository.separations(session, case.id)
        ],
        deadlines=[
            DeadlineBrief(
                step=d.step, due_at=d.due_at, met_at=d.met_at, status=rules.status_of(d.due_at, d.met_at, now)
            )
            for d in await repository.deadlines(session, case.id)
        ],
    )


def _support(s: SupportItem) -> SupportOut:
    return SupportOut(
        id=s.id,
        plan_id=s.plan_id,
        kind=s.kind,
        funding=s.funding,
        sponsor=s.sponsor,
        amount=s.amount,
        status=s.status,
        outcome_on=s.outcome_on,
        outcome_reason=s.outcome_reason,
    )


async def read(session: AsyncSession, reader: Reader, cipher: FieldCipher, case_id: uuid.UUID) -> CaseOut:
    case = await get_visible(session, reader, case_id)
    await audit(session, reader, "case", case.id)
    return await out(session, cipher, case)


async def list_cases(
    session: AsyncSession,
    reader: Reader,
    *,
    status: str | None,
    commune_code: str | None,
    child_id: uuid.UUID | None,
    open_only: bool,
    cursor: str | None,
    limit: int,
) -> CasePage:
    position = keyset(cursor, KEYSET_INT)
    rows = await repository.page(
        session,
        reader.areas,
        status=status,
        commune_code=commune_code,
        child_id=child_id,
        open_only=open_only,
        before=position[0] if position else None,
        limit=limit + 1,
    )
    rows, next_cursor = page_of(rows, limit, lambda c: [c.serial])
    await audit(
        session,
        reader,
        "case_list",
        None,
        detail=f"status={status or ''} commune={commune_code or ''} child={child_id or ''}",
    )
    return CasePage(
        items=[
            CaseSummary(
                id=c.id,
                number=number(c),
                child_id=c.child_id,
                source=c.source,
                status=c.status,
                risk_level=c.risk_level,
                reported_at=c.reported_at,
                commune_code=c.commune_code,
                version=c.version,
            )
            for c in rows
        ],
        next_cursor=next_cursor,
    )


async def _touched(session: AsyncSession, reader: Reader, case: Case) -> None:
    case.version += 1
    case.updated_by = reader.client_id
    case.updated_at = clock.now()
    await session.flush()
    await changes.record(session, "case", case, case_id=case.id, child_id=case.child_id)
    await audit(session, reader, "case", case.id)


async def update(
    session: AsyncSession,
    reader: Reader,
    cipher: FieldCipher,
    case_id: uuid.UUID,
    if_match: str | None,
    patch: CasePatch,
) -> Case:
    case = await get_visible(session, reader, case_id, for_update=True)
    check_if_match(if_match, case.version, "case")
    c = patch.changes()
    if "report" in c:
        if c["report"] is None:
            raise ValidationFailed([{"field": "body.report", "reason": "cannot be cleared"}])
        case.report_enc = cipher.encrypt(c["report"], REPORT)  # type: ignore[assignment]
    if "perpetrator" in c:
        case.perpetrator_enc = cipher.encrypt(c["perpetrator"], PERPETRATOR)
    if "reporter" in c:
        case.reporter_enc = cipher.encrypt(c["reporter"], REPORTER)
    if "risk_level" in c:
        case.risk_level = c["risk_level"]
    await _touched(session, reader, case)
    return case


async def take_step(
    session: AsyncSession, reader: Reader, cipher: FieldCipher, case_id: uuid.UUID, if_match: str | None, body: StepIn
) -> Case:
    case = await get_visible(session, reader, case_id, for_update=True)
    check_if_match(if_match, case.version, "case")
    before = Status(case.status)
    try:
        after = next_status(before, body.action)
    except InvalidTransition as exc:
        raise TransitionRefused(str(exc), current_status=before.value, allowed=exc.allowed) from None
    now = clock.now()
    action = body.action
    if action is Action.INITIAL_ASSESSMENT:
        if body.risk_level is None:
            raise ValidationFailed([{"field": "body.risk_level", "reason": "required for the initial assessment"}])
        case.risk_level = body.risk_level
        await deadlines.meet(session, Step.EMERGENCY_ACTION, now, case_id=case.id)
        if body.separation_needed:
            await deadlines.open_(
                session,
                Step.SEPARATION_DECISION,
                child_id=case.child_id,
                case_id=case.id,
                due_at=rules.separation_decision_due(now),
                area=case,
                opened_at=now,
            )
    elif body.separation_needed:
        raise ValidationFailed([{"field": "body.separation_needed", "reason": "only with the initial assessment"}])
    if (body.plan is not None) != (action is Action.DRAFT_PLAN):
        raise ValidationFailed([{"field": "body.plan", "reason": "required with draft_plan, and only with it"}])
    calendar = None
    if action in (Action.DETAILED_ASSESSMENT, Action.NEW_PLAN, Action.REJECT_PLAN, Action.DRAFT_PLAN):
        calendar = await reference.calendar(session)
    if action in (Action.DETAILED_ASSESSMENT, Action.NEW_PLAN):
        assert calendar is not None
        await deadlines.open_(
            session,
            Step.PLAN_DRAFT,
            child_id=case.child_id,
            case_id=case.id,
            due_at=rules.plan_draft_due(now, calendar, VIETNAM_TZ),
            area=case,
            opened_at=now,
        )
    elif action is Action.DRAFT_PLAN:
        assert body.plan is not None and calendar is not None
        await _draft_plan(session, reader, cipher, case, body, now)
        await deadlines.meet(session, Step.PLAN_DRAFT, now, case_id=case.id)
        await deadlines.open_(
            session,
            Step.PLAN_APPROVAL,
            child_id=case.child_id,
            case_id=case.id,
            due_at=rules.plan_approval_due(now, calendar, VIETNAM_TZ),
            area=case,
            opened_at=now,
        )
    elif action in (Action.APPROVE_PLAN, Action.REJECT_PLAN):
        plan = next(p for p in reversed(await repository.plans(session, case.id)) if p.status == "draft")
        if action is Action.APPROVE_PLAN and plan.drafted_by == reader.client_id:
            raise MakerChecker(f"maker-checker: {reader.client_id} drafted this plan; another client approves it")
        plan.status = "approved" if action is Action.APPROVE_PLAN else "rejected"
        plan.decided_by, plan.decided_at = reader.client_id, now
        await deadlines.meet(session, Step.PLAN_APPROVAL, now, case_id=case.id)
        items = await repository.support_items(session, case.id, plan.id)
        for item in items:
            item.status = "requested" if action is Action.APPROVE_PLAN else "cancelled"
            item.updated_at = now
        if action is Action.APPROVE_PLAN:
            await EVENTS.publish_many(
                session,
                SUPPORT_REQUESTED,
                [
                    (
                        str(item.id),
                        SupportPaymentRequested(
                            support_item_id=item.id,
                            case_id=case.id,
                            case_number=number(case),
                            kind=item.kind,
                            funding=item.funding,
                            sponsor=item.sponsor,
                            amount=item.amount,
                            approved_by=reader.client_id,
                            commune_code=item.commune_code,
                            district_code=item.district_code,
                            province_code=item.province_code,
                        ),
                    )
                    for item in items
                ],
            )
        else:
            assert calendar is not None
            await deadlines.open_(
                session,
                Step.PLAN_DRAFT,
                child_id=case.child_id,
                case_id=case.id,
                due_at=rules.plan_draft_due(now, calendar, VIETNAM_TZ),
                area=case,
                opened_at=now,
            )
    elif action is Action.CLOSE:
        case.closed_at = now
        for step in Step:
            await deadlines.meet(session, step, now, case_id=case.id)
    elif action is Action.REOPEN:
        case.closed_at = None
        await deadlines.open_(
            session,
            Step.EMERGENCY_ACTION,
            child_id=case.child_id,
            case_id=case.id,
            due_at=rules.emergency_action_due(now),
            area=case,
            opened_at=now,
        )
    case.status = after.value
    await repository.add(
        session,
        CaseStep(
            case_id=case.id,
            action=action.value,
            from_status=before.value,
            to_status=after.value,
            form=FORMS.get(action),
            at=now,
            by=reader.client_id,
            note_enc=cipher.encrypt(body.note, NOTE),
        ),
    )
    await _touched(session, reader, case)
    await _event_step(session, case, action.value, FORMS.get(action), before.value)
    return case


async def _draft_plan(
    session: AsyncSession, reader: Reader, cipher: FieldCipher, case: Case, body: StepIn, now: datetime
) -> None:
    assert body.plan is not None
    plan = Plan(
        id=uuid.uuid4(),
        case_id=case.id,
        number=await repository.next_plan_number(session, case.id),
        status="draft",
        content_enc=cipher.encrypt(body.plan.content, PLAN),
        services=list(body.plan.services),
        drafted_by=reader.client_id,
        drafted_at=now,
    )
    await repository.add(session, plan)
    await repository.add(
        session,
        *[
            SupportItem(
                id=uuid.uuid4(),
                case_id=case.id,
                plan_id=plan.id,
                kind=s.kind,
                funding=s.funding,
                sponsor=s.sponsor,
                amount=s.amount,
                status="proposed",
                commune_code=case.commune_code,
                district_code=case.district_code,
                province_code=case.province_code,
                updated_at=now,
            )
            for s in body.plan.support
        ],
    )


async def add_separation(
    session: AsyncSession,
    reader: Reader,
    cipher: FieldCipher,
    case_id: uuid.UUID,
    if_match: str | None,
    body: SeparationIn,
) -> Case:
    """The chairman's decision (Form 07) on a temporary separation: at most 15 days; meets the 12-hour limit."""
    case = await get_visible(session, reader, case_id, for_update=True)
    check_if_match(if_match, case.version, "case")
    if case.status == Status.CLOSED.value:
        raise CaseClosed("the case is closed")
    problem = rules.separation_problem(body.starts_on, body.ends_on)
    if problem:
        raise ValidationFailed([{"field": "body.ends_on", "reason": problem}])
    now = clock.now()
    await repository.add(
        session,
        Separation(
            id=uuid.uuid4(),
            case_id=case.id,
            decided_at=now,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            note_enc=cipher.encrypt(body.note, SEPARATION_NOTE),
            recorded_by=reader.client_id,
        ),
    )
    await deadlines.meet(session, Step.SEPARATION_DECISION, now, case_id=case.id)
    await deadlines.open_(
        session,
        Step.SEPARATION_END,
        child_id=case.child_id,
        case_id=case.id,
        due_at=rules.end_of_day(body.ends_on, VIETNAM_TZ),
        area=case,
        opened_at=now,
    )
    await repository.add(
        session,
        CaseStep(
            case_id=case.id,
            action="separation",
            from_status=case.status,
            to_status=case.status,
            form="07",
            at=now,
            by=reader.client_id,
        ),
    )
    await _touched(session, reader, case)
    await _event_step(session, case, "separation", "07", case.status)
    return case


async def end_separation(session: AsyncSession, reader: Reader, case_id: uuid.UUID, if_match: str | None) -> Case:
    """The child went back to the carer or into alternative care: the separation's end limit is met."""
    case = await get_visible(session, reader, case_id, for_update=True)
    check_if_match(if_match, case.version, "case")
    if not await deadlines.meet(session, Step.SEPARATION_END, clock.now(), case_id=case.id):
        raise NoSeparation("the case has no separation in progress")
    await repository.add(
        session,
        CaseStep(
            case_id=case.id,
            action="separation_ended",
            from_status=case.status,
            to_status=case.status,
            form="07",
            at=clock.now(),
            by=reader.client_id,
        ),
    )
    await _touched(session, reader, case)
    return case


async def refer_allowance(session: AsyncSession, reader: Reader, case_id: uuid.UUID, body: ReferralIn) -> Case:
    """Refer the case's child to the registry for the monthly allowance (an application draft)."""
    case = await get_visible(session, reader, case_id)
    child = await children.get_visible(session, reader, case.child_id)
    if child.person_id is None:
        raise ChildNotIdentified("identify the child in the registry first (PATCH the child's person_id)")
    await EVENTS.publish(
        session,
        ALLOWANCE_REFERRED,
        str(child.id),
        AllowanceReferred(
            child_id=child.id,
            person_id=child.person_id,
            case_id=case.id,
            case_number=number(case),
            category=body.category,
            referred_by=reader.client_id,
            commune_code=child.commune_code,
            district_code=child.district_code,
            province_code=child.province_code,
        ),
    )
    await repository.add(
        session,
        CaseStep(
            case_id=case.id,
            action=f"allowance_referral_{body.category}",
            from_status=case.status,
            to_status=case.status,
            form=None,
            at=clock.now(),
            by=reader.client_id,
        ),
    )
    await audit(session, reader, "case", case.id)
    return case


async def history(session: AsyncSession, reader: Reader, cipher: FieldCipher, case_id: uuid.UUID) -> HistoryOut:
    case = await get_visible(session, reader, case_id)
    await audit(session, reader, "case", case.id, detail="history")
    return HistoryOut(
        items=[
            StepOut(
                action=s.action,
                form=s.form,
                from_status=s.from_status,
                to_status=s.to_status,
                at=s.at,
                by=s.by,
                note=cipher.decrypt(s.note_enc, NOTE),
            )
            for s in await repository.steps(session, case.id)
        ]
    )
