"""Use cases of the beneficiaries feature: apply, approve (maker-checker), reject, record decisions, compute
entitlements. Never commits.

A beneficiary's facts for the entitlement engine are derived from its append-only decisions, in order:

* ``approve`` / ``change_category`` — the categories granted from the effective month (a category change ends
  the previous grants the month before);
* ``suspend`` / ``reinstate`` — a suspension period from the suspension's month through the month before
  reinstatement (open while suspended);
* ``terminate`` — eligibility lost: the effective month is the first month not paid;
* ``record_death`` — the death date: nothing from the month after the month of death.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import visible_or_404
from common.auth import Principal
from common.errors import AnSinhError, Conflict, MakerChecker, NotFound, PreconditionFailed, ValidationFailed
from common.pagination import KEYSET_INT, keyset, page_of

from .. import facts
from ..events import (
    BENEFICIARY_APPROVED,
    BENEFICIARY_CHANGED,
    BENEFICIARY_REINSTATED,
    BENEFICIARY_SUSPENDED,
    BENEFICIARY_TERMINATED,
    EVENTS,
    BeneficiaryApproved,
    BeneficiaryChanged,
    BeneficiaryReinstated,
    BeneficiarySuspended,
    BeneficiaryTerminated,
)
from ..history import service as history_service
from ..models import Application, BeneficiaryRow, Decision, Person
from ..parameters.service import load_parameters
from ..persons import service as persons_service
from ..rules.death import first_month_not_owed
from ..rules.entitlements import (
    ArrearsTotals,
    MonthEntitlement,
    amounts,
    arrears,
    arrears_totals,
    entitlements,
)
from ..rules.months import Month
from ..rules.names import name_key
from ..rules.parameters import RESIDENTIAL, Parameters
from ..rules.person import age_in_month
from ..schedules import service as schedules_service
from . import repository
from .exceptions import AlreadyBeneficiary, PersonDeceased
from .schemas import ApplicationCreate, Approval, ArrearsIn, BulkApprovalItem, DecisionIn, Rejection

MAX_MONTHS = 120
"""Longest range of months one entitlements request may ask for."""

ALLOWED_FROM: dict[str, set[str]] = {
    "change_category": {"active", "suspended"},
    "suspend": {"active"},
    "reinstate": {"suspended"},
    "terminate": {"active", "suspended"},
    "record_death": {"active", "suspended", "terminated"},
}
STATUS_AFTER = {"suspend": "suspended", "reinstate": "active", "terminate": "terminated", "record_death": "deceased"}


def location(beneficiary_id: uuid.UUID) -> str:
    return f"/registry/beneficiaries/{beneficiary_id}"


def application_location(application_id: uuid.UUID) -> str:
    return f"/registry/applications/{application_id}"


def etag(row: BeneficiaryRow) -> str:
    return f'"{row.version}"'


@dataclass(frozen=True, slots=True)
class BeneficiaryView:
    row: BeneficiaryRow
    person: Person
    decisions: Sequence[Decision]

    @property
    def categories(self) -> list[str]:
        current: list[str] = []
        for d in self.decisions:
            if d.kind in ("approve", "change_category") and d.categories:
                current = list(d.categories)
        return current


# --- applications --------------------------------------------------------------------------------------


async def _check_categories(session: AsyncSession, categories: list[str], field: str) -> list[str]:
    known = await repository.category_codes(session) - {RESIDENTIAL}
    errors = [
        {"field": f"{field}.{i}", "reason": f"unknown category {code!r}; known: {', '.join(sorted(known))}"}
        for i, code in enumerate(categories)
        if code not in known
    ]
    if len(set(categories)) != len(categories):
        errors.append({"field": field, "reason": "a category is listed twice"})
    if errors:
        raise ValidationFailed(errors)
    return list(dict.fromkeys(categories))


async def _check_rulings(
    session: AsyncSession,
    person: Person,
    categories: Sequence[str],
    effective: Month,
    signed_on: date | None,
    parameters: Parameters | None = None,
) -> None:
    """The rulings of docs/rules.md §2 on decisions granting categories (approve, change_category), every problem at
    once: no decision signed (or effective) after the person's recorded death; no category before the law that
    created it (5.5b and 5.7: 2021-07); 5.1 only for a child under 16 at the decision (5.2 is granted directly to a
    person of 16-22 who studies)."""
    errors: list[dict[str, Any]] = []
    if person.death_date is not None:
        death_month = Month.of(person.death_date)
        if signed_on is not None and signed_on > person.death_date:
            errors.append(
                {
                    "field": "body.signed_on",
                    "code": "after-death",
                    "reason": f"signed after the person's recorded death on {person.death_date.isoformat()}",
                }
            )
        if effective > death_month:
            errors.append(
                {
                    "field": "body.effective_month",
                    "code": "after-death",
                    "reason": f"after the month of the person's recorded death ({death_month})",
                }
            )
    parameters = parameters or await load_parameters(session)
    for i, code in enumerate(categories):
        first = parameters.first_rule(code)
        if first is not None and first.introduced and effective < first.valid_from:
            errors.append(
                {
                    "field": f"body.categories.{i}",
                    "code": "category-not-in-force",
                    "reason": f"category {code} exists from {first.valid_from} ({first.legal_basis}); "
                    f"the decision takes effect in {effective}",
                }
            )
        rule = parameters.category_rule(code, effective)
        if rule is not None and rule.continues_as and rule.last_birthday is not None:
            age = age_in_month(person.date_of_birth, effective)
            if age >= rule.last_birthday:
                errors.append(
                    {
                        "field": f"body.categories.{i}",
                        "code": "aged-out",
                        "reason": f"{code} is for a child under {rule.last_birthday} at the decision; the "
                        f"person is {age} in {effective}: grant {rule.continues_as} when they "
                        f"study",
                    }
                )
    if errors:
        raise ValidationFailed(errors)


def _refuse_deceased(person: Person) -> None:
    if person.death_date is not None:
        raise PersonDeceased(
            f"the person died on {person.death_date.isoformat()}", death_date=person.death_date.isoformat()
        )


async def submit(session: AsyncSession, principal: Principal, body: ApplicationCreate) -> Application:
    try:
        person = await persons_service.get_visible(session, principal, body.person_id)
    except NotFound:
        raise ValidationFailed(
            [{"field": "body.person_id", "reason": "no such person within the areas of this client"}]
        ) from None
    _refuse_deceased(person)
    categories = await _check_categories(session, body.categories, "body.categories")
    app = Application(
        id=uuid.uuid4(),
        person_id=body.person_id,
        categories=categories,
        status="submitted",
        note=body.note,
        submitted_by=principal.client_id,
        submitted_at=datetime.now(UTC),
    )
    await repository.add(session, app)
    history_service.record(
        session,
        record_type="application",
        record_id=app.id,
        version=1,
        changed_by=principal.client_id,
        reason=body.note,
        before=None,
        after={"person_id": str(app.person_id), "categories": categories, "status": "submitted"},
    )
    return app


async def get_application(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Application, Person]:
    app = await repository.application(session, application_id, for_update=for_update)
    if app is None:
        raise NotFound(f"no application {application_id}")
    try:
        person = await persons_service.get_visible(session, principal, app.person_id)
    except NotFound:
        raise NotFound(f"no application {application_id}") from None
    return app, person


def _decide(app: Application, principal: Principal, status: str, note: str) -> None:
    if app.status != "submitted":
        raise Conflict(f"the application is already {app.status}", current_status=app.status)
    app.status = status
    app.decided_by = principal.client_id
    app.decided_at = datetime.now(UTC)
    app.decision_note = note


async def approve(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, body: Approval
) -> BeneficiaryView:
    app, person = await get_application(session, principal, application_id, for_update=True)
    view = await _approve(session, principal, app, person, body)
    await schedules_service.refresh(session, [view.row.id])
    return view


async def _approve(
    session: AsyncSession,
    principal: Principal,
    app: Application,
    person: Person,
    body: Approval,
    parameters: Parameters | None = None,
    beneficiaries: dict[uuid.UUID, uuid.UUID] | None = None,
) -> BeneficiaryView:
    """Approve ``app`` (locked): checks, the beneficiary, its decision, history and event; not its schedule.
    ``beneficiaries``: person id → beneficiary id of the persons concerned, when the caller read them already."""
    if app.submitted_by == principal.client_id:
        raise MakerChecker(
            "maker-checker: the client that submitted an application cannot approve it; another client must decide"
        )
    if app.status != "submitted":
        raise Conflict(f"the application is already {app.status}", current_status=app.status)
    _refuse_deceased(person)
    await _check_rulings(session, person, app.categories, body.effective_month, body.signed_on, parameters)
    if beneficiaries is not None:
        existing = beneficiaries.get(person.id)
    else:
        existing = await repository.beneficiary_of_person(session, person.id)
    if existing is not None:
        raise AlreadyBeneficiary("this person is already a beneficiary", existing=location(existing))
    _decide(app, principal, "approved", body.number)
    now = datetime.now(UTC)
    row = BeneficiaryRow(
        id=uuid.uuid4(),
        person_id=person.id,
        application_id=app.id,
        status="active",
        version=1,
        created_at=now,
        updated_at=now,
    )
    try:
        await repository.add_beneficiary(session, row)
    except repository.DuplicateBeneficiary:
        existing = await repository.beneficiary_of_person(session, person.id)
        extra: dict[str, Any] = {"existing": location(existing)} if existing else {}
        raise AlreadyBeneficiary("this person is already a beneficiary", **extra) from None
    decision = Decision(
        beneficiary_id=row.id,
        kind="approve",
        number=body.number,
        signed_on=body.signed_on,
        authority=body.authority,
        effective_month=body.effective_month.first_day(),
        categories=list(app.categories),
        reason="",
        decided_by=principal.client_id,
    )
    await repository.add(session, decision)
    history_service.record(
        session,
        record_type="beneficiary",
        record_id=row.id,
        version=1,
        changed_by=principal.client_id,
        reason=f"approval {body.number}",
        before=None,
        after={"status": "active", "categories": list(app.categories), "effective_month": str(body.effective_month)},
    )
    await EVENTS.publish(
        session,
        BENEFICIARY_APPROVED,
        str(row.id),
        BeneficiaryApproved(
            beneficiary_id=row.id,
            person_id=person.id,
            categories=list(app.categories),
            effective_month=str(body.effective_month),
            decision_number=body.number,
            date_of_birth=person.date_of_birth,
            commune_code=person.commune_code,
            district_code=person.district_code,
            province_code=person.province_code,
        ),
    )
    return BeneficiaryView(row, person, [decision])


@dataclass
class BulkOutcome:
    index: int
    application_id: uuid.UUID | None
    person_id: uuid.UUID | None
    beneficiary_id: uuid.UUID | None = None
    error: AnSinhError | None = None


def _item_error(error: AnSinhError, index: int) -> AnSinhError:
    """The item's fields named in the request: ``body.x`` becomes ``body.items.<index>.x``."""
    if isinstance(error, ValidationFailed):
        errors = [
            {**e, "field": f"body.items.{index}." + str(e.get("field", "")).removeprefix("body.")}
            for e in error.extensions.get("errors", [])
        ]
        return ValidationFailed(errors)
    return error


async def approve_many(
    session: AsyncSession, principal: Principal, items: Sequence[BulkApprovalItem]
) -> list[BulkOutcome]:
    """Approve each item's application as ``POST /applications/{id}/approve`` would (maker-checker and every check
    per item); an item refused changes nothing (its own savepoint) and does not stop the others. The approved
    beneficiaries' schedules are computed together at the end, once. What the items' checks read is read together
    first: the applications (locked), their persons, and which of them are beneficiaries already."""
    by_person = await repository.submitted_applications_of(
        session, list({i.person_id for i in items if i.person_id is not None})
    )
    parameters = await load_parameters(session)
    apps = await repository.applications_for_update(
        session,
        [i.application_id for i in items if i.application_id is not None]
        + [ids[0] for ids in by_person.values() if len(ids) == 1],
    )
    persons = await repository.persons_by_id(session, [a.person_id for a in apps.values()])
    beneficiaries = await repository.beneficiaries_of_persons(session, list(persons))

    async def application_of(application_id: uuid.UUID) -> tuple[Application, Person]:
        """As ``get_application`` (locked), from what was read together when it is there."""
        app = apps.get(application_id)
        if app is None:
            return await get_application(session, principal, application_id, for_update=True)
        try:
            return app, visible_or_404(principal, persons.get(app.person_id), "person")
        except NotFound:
            raise NotFound(f"no application {application_id}") from None

    out: list[BulkOutcome] = []
    approved: list[uuid.UUID] = []
    for index, item in enumerate(items):
        result = BulkOutcome(index, item.application_id, item.person_id)
        out.append(result)
        try:
            async with session.begin_nested():
                application_id = item.application_id
                if application_id is None:
                    assert item.person_id is not None
                    pending = by_person.get(item.person_id, [])
                    if not pending:  # (with one: its application's person is checked as any application's)
                        try:
                            await persons_service.get_visible(session, principal, item.person_id)
                        except NotFound:
                            raise NotFound(
                                "no such person within the areas of this client", field=f"body.items.{index}.person_id"
                            ) from None
                        existing = await repository.beneficiary_of_person(session, item.person_id)
                        if existing is not None:
                            raise AlreadyBeneficiary(
                                "this person is already a beneficiary", existing=location(existing)
                            )
                        raise NotFound(
                            "no submitted application of this person within the areas of this client",
                            field=f"body.items.{index}.person_id",
                        )
                    if len(pending) > 1:
                        raise Conflict(
                            f"the person has {len(pending)} submitted applications: approve by application_id",
                            field=f"body.items.{index}.person_id",
                            applications=[application_location(a) for a in pending],
                        )
                    try:
                        app, person = await application_of(pending[0])
                    except NotFound:
                        raise NotFound(
                            "no such person within the areas of this client", field=f"body.items.{index}.person_id"
                        ) from None
                else:
                    app, person = await application_of(application_id)
                result.application_id, result.person_id = app.id, app.person_id
                if app.status == "approved":
                    existing = await repository.beneficiary_of_person(session, app.person_id)
                    extra: dict[str, Any] = {"existing": location(existing)} if existing else {}
                    raise Conflict("the application is already approved", current_status=app.status, **extra)
                view = await _approve(session, principal, app, person, item, parameters, beneficiaries)
        except AnSinhError as error:
            if error.status >= 500:
                raise
            result.error = _item_error(error, index)
            # Its savepoint rolled back what it changed (the application is expired): read again if listed again.
            if result.application_id is not None:
                apps.pop(result.application_id, None)
            continue
        result.beneficiary_id = view.row.id
        beneficiaries[view.person.id] = view.row.id
        approved.append(view.row.id)
    await schedules_service.refresh(session, approved, parameters=parameters)
    return out


async def reject(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, body: Rejection
) -> Application:
    app, _ = await get_application(session, principal, application_id, for_update=True)
    _decide(app, principal, "rejected", body.reason)
    history_service.record(
        session,
        record_type="application",
        record_id=app.id,
        version=2,
        changed_by=principal.client_id,
        reason=body.reason,
        before={"status": "submitted"},
        after={"status": "rejected"},
    )
    await session.flush()
    return app


# --- beneficiaries -------------------------------------------------------------------------------------


async def get_visible(
    session: AsyncSession, principal: Principal, beneficiary_id: uuid.UUID, *, for_update: bool = False
) -> BeneficiaryView:
    row = await repository.beneficiary(session, beneficiary_id, for_update=for_update)
    if row is None:
        raise NotFound(f"no beneficiary {beneficiary_id}")
    try:
        person = await persons_service.get_visible(session, principal, row.person_id)
    except NotFound:
        raise NotFound(f"no beneficiary {beneficiary_id}") from None
    return BeneficiaryView(row, person, await repository.decisions(session, row.id))


def _approval_month(decisions: Sequence[Decision]) -> Month:
    return Month.of(next(d for d in decisions if d.kind == "approve").effective_month)


def _open_suspension(decisions: Sequence[Decision]) -> Month | None:
    start: Month | None = None
    for d in decisions:
        if d.kind == "suspend":
            start = Month.of(d.effective_month)
        elif d.kind == "reinstate":
            start = None
    return start


async def rekey_person(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """A merge (``duplicates.service``): ``source``'s applications and beneficiary now belong to ``target``."""
    return await repository.rekey_person(session, source, target)


async def for_decision(
    session: AsyncSession, principal: Principal, beneficiary_id: uuid.UUID, if_match: str | None
) -> BeneficiaryView:
    """The beneficiary, locked, after the ``If-Match`` check of a decision."""
    view = await get_visible(session, principal, beneficiary_id, for_update=True)
    row = view.row
    if not persons_service.matches_if_match(if_match, row.version):
        raise PreconditionFailed(
            f"the beneficiary has changed: it is at version {row.version}; re-read it and retry",
            headers={"ETag": etag(row)},
            current_version=row.version,
            current_etag=etag(row),
        )
    return view


async def record_decision(
    session: AsyncSession, principal: Principal, beneficiary_id: uuid.UUID, if_match: str | None, body: DecisionIn
) -> BeneficiaryView:
    """Any decision but ``record_death``, which ``deaths.service.record_decision`` records with the person's death."""
    return await decide(session, principal, await for_decision(session, principal, beneficiary_id, if_match), body)


async def terminate_by_death(
    session: AsyncSession,
    principal: Principal,
    row: BeneficiaryRow,
    person: Person,
    *,
    death_date: date,
    number: str,
    signed_on: date | None,
    authority: str,
    reason: str,
) -> Decision:
    """The beneficiary's side of a death (``deaths.service`` checks it and records the person's): the
    ``record_death`` decision, the status ``deceased`` and ``registry.beneficiary.terminated.v1``. The caller holds
    the lock on ``row``."""
    effective = first_month_not_owed(death_date)
    decision = Decision(
        beneficiary_id=row.id,
        kind="record_death",
        number=number,
        signed_on=signed_on,
        authority=authority,
        effective_month=effective.first_day(),
        categories=None,
        reason=reason or "death",
        death_date=death_date,
        decided_by=principal.client_id,
    )
    before = {"status": row.status}
    row.status = "deceased"
    row.version += 1
    row.updated_at = datetime.now(UTC)
    await repository.add(session, decision)
    history_service.record(
        session,
        record_type="beneficiary",
        record_id=row.id,
        version=row.version,
        changed_by=principal.client_id,
        reason=decision.reason,
        before=before,
        after={"status": row.status, "decision": "record_death", "effective_month": str(effective)},
    )
    await EVENTS.publish(
        session,
        BENEFICIARY_TERMINATED,
        str(row.id),
        BeneficiaryTerminated(
            beneficiary_id=row.id,
            person_id=person.id,
            effective_month=str(effective),
            reason=decision.reason,
            death_date=death_date,
            commune_code=person.commune_code,
            district_code=person.district_code,
            province_code=person.province_code,
        ),
    )
    return decision


async def decide(
    session: AsyncSession, principal: Principal, view: BeneficiaryView, body: DecisionIn
) -> BeneficiaryView:
    """Record a decision on a beneficiary read (and locked) by the caller: the HTTP route after its If-Match check,
    or an inbox handler. Publishes its event and refreshes the entitlement schedule."""
    row, person = view.row, view.person
    if body.kind == "record_death":  # the person's death too: one path for both routes
        raise ValueError("deaths.service.record_decision records a death")
    if row.status not in ALLOWED_FROM[body.kind]:
        raise Conflict(
            f"cannot {body.kind.replace('_', ' ')} a beneficiary who is {row.status}", current_status=row.status
        )
    categories = None
    if body.kind == "change_category":
        categories = await _check_categories(session, body.categories or [], "body.categories")
    assert body.effective_month is not None
    if categories is not None:
        await _check_rulings(session, person, categories, body.effective_month, body.signed_on)
    effective = body.effective_month
    approved = _approval_month(view.decisions)
    if effective < approved:
        raise ValidationFailed(
            [{"field": "body.effective_month", "reason": f"must not be before the approval month {approved}"}]
        )
    suspended_from = _open_suspension(view.decisions)
    if body.kind == "reinstate" and suspended_from is not None and effective <= suspended_from:
        raise ValidationFailed(
            [{"field": "body.effective_month", "reason": f"must be after the suspension month {suspended_from}"}]
        )
    decision = Decision(
        beneficiary_id=row.id,
        kind=body.kind,
        number=body.number,
        signed_on=body.signed_on,
        authority=body.authority,
        effective_month=effective.first_day(),
        categories=categories,
        reason=body.reason,
        death_date=None,
        decided_by=principal.client_id,
    )
    before = {"status": row.status}
    row.status = STATUS_AFTER.get(body.kind, row.status)
    row.version += 1
    row.updated_at = datetime.now(UTC)
    await repository.add(session, decision)
    history_service.record(
        session,
        record_type="beneficiary",
        record_id=row.id,
        version=row.version,
        changed_by=principal.client_id,
        reason=decision.reason or body.kind,
        before=before,
        after={"status": row.status, "decision": body.kind, "effective_month": str(effective)},
    )
    areas: dict[str, Any] = {
        "commune_code": person.commune_code,
        "district_code": person.district_code,
        "province_code": person.province_code,
    }
    common = {"beneficiary_id": row.id, "person_id": person.id, "effective_month": str(effective), **areas}
    if body.kind == "suspend":
        await EVENTS.publish(
            session, BENEFICIARY_SUSPENDED, str(row.id), BeneficiarySuspended(reason=body.reason, **common)
        )
    elif body.kind == "reinstate":
        await EVENTS.publish(session, BENEFICIARY_REINSTATED, str(row.id), BeneficiaryReinstated(**common))
    elif body.kind == "terminate":
        await EVENTS.publish(
            session, BENEFICIARY_TERMINATED, str(row.id), BeneficiaryTerminated(reason=decision.reason, **common)
        )
    elif body.kind == "change_category":
        await EVENTS.publish(
            session,
            BENEFICIARY_CHANGED,
            str(row.id),
            BeneficiaryChanged(
                categories=list(categories or []),
                previous_categories=view.categories,
                decision_number=body.number,
                date_of_birth=person.date_of_birth,
                **common,
            ),
        )
    await schedules_service.refresh(session, [row.id])
    return BeneficiaryView(row, person, [*view.decisions, decision])


PAYMENTS_CLIENT = "payments"
"""``decided_by`` of decisions the registry records on the payments service's word."""
UNPAID_3_MONTHS_REASON = "3 tháng liên tiếp không nhận trợ cấp"
SYSTEM_PAYMENTS = Principal(client_id=PAYMENTS_CLIENT, scopes=frozenset(), areas=(), issued_at=0, expires_at=0)


async def suspend_unpaid(
    session: AsyncSession, beneficiary_id: uuid.UUID, suspend_from: str, *, number: str, signed_on: date
) -> None:
    """rules.md §9: three unpaid months in a row lead to suspension. An active beneficiary is suspended from
    ``suspend_from`` (decided by the payments service, with the decision's events and schedule refresh); one that is
    no longer active (already suspended, terminated, deceased) or unknown is left as it is."""
    row = await repository.beneficiary(session, beneficiary_id)
    if row is None or row.status != "active":
        return
    view = await get_visible(session, SYSTEM_PAYMENTS, beneficiary_id, for_update=True)
    if view.row.status != "active":
        return
    await decide(
        session,
        SYSTEM_PAYMENTS,
        view,
        DecisionIn(
            kind="suspend",
            effective_month=suspend_from,
            reason=UNPAID_3_MONTHS_REASON,
            authority="Hệ thống chi trả (payments)",
            number=number,
            signed_on=signed_on,
        ),
    )


def decision_states(decisions: Sequence[Decision]) -> list[tuple[dict[str, Any] | None, dict[str, Any]]]:
    """The beneficiary's status and categories before and after each decision (oldest first), replayed from the
    decisions themselves: they are append-only, so the replay is the history."""
    out: list[tuple[dict[str, Any] | None, dict[str, Any]]] = []
    state: dict[str, Any] | None = None
    for d in decisions:
        status = "active" if d.kind == "approve" else STATUS_AFTER.get(d.kind, state["status"] if state else "active")
        categories = (
            list(d.categories or [])
            if d.kind in ("approve", "change_category")
            else (state["categories"] if state else [])
        )
        after = {"status": status, "categories": categories}
        out.append((state, after))
        state = after
    return out


async def decision_history(
    session: AsyncSession, principal: Principal, beneficiary_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A beneficiary's decisions, newest first, each with the version and the state before and after it."""
    view = await get_visible(session, principal, beneficiary_id)
    position = keyset(cursor, KEYSET_INT)
    before_id = position[0] if position else None
    # A beneficiary has a handful of decisions, all loaded by get_visible: the replay needs every earlier one.
    items = [
        {
            "id": d.id,
            "kind": d.kind,
            "number": d.number,
            "signed_on": d.signed_on,
            "authority": d.authority,
            "effective_month": Month.of(d.effective_month),
            "categories": d.categories,
            "reason": d.reason,
            "death_date": d.death_date,
            "decided_by": d.decided_by,
            "recorded_at": d.recorded_at,
            "version": version,
            "before": before,
            "after": after,
        }
        for version, (d, (before, after)) in enumerate(
            zip(view.decisions, decision_states(view.decisions), strict=True), start=1
        )
    ]
    items.reverse()
    if before_id is not None:
        items = [item for item in items if item["id"] < before_id]
    return page_of(items, limit, lambda item: [item["id"]])


# --- entitlements --------------------------------------------------------------------------------------


def parse_range(first: str, last: str) -> tuple[Month, Month]:
    errors = []
    months: dict[str, Month] = {}
    for name, value in (("from", first), ("to", last)):
        try:
            months[name] = Month.parse(value)
        except ValueError as exc:
            errors.append({"field": f"query.{name}", "reason": str(exc)})
    if not errors:
        if months["to"] < months["from"]:
            errors.append({"field": "query.to", "reason": "must not be before from"})
        elif months["to"] - months["from"] + 1 > MAX_MONTHS:
            errors.append({"field": "query.to", "reason": f"at most {MAX_MONTHS} months per request"})
    if errors:
        raise ValidationFailed(errors)
    return months["from"], months["to"]


async def month_entitlements(
    session: AsyncSession, principal: Principal, beneficiary_id: uuid.UUID, first: Month, last: Month
) -> list[MonthEntitlement]:
    view = await get_visible(session, principal, beneficiary_id)
    parameters = await load_parameters(session)
    found = await facts.inputs(session, [(view.row, view.person)], parameters, decisions={view.row.id: view.decisions})
    return entitlements(found[view.row.id], parameters, first, last)


async def settle(
    session: AsyncSession, principal: Principal, beneficiary_id: uuid.UUID, body: ArrearsIn
) -> tuple[list[MonthEntitlement], dict[Month, int], ArrearsTotals]:
    """What was owed per month of the range against what was paid: arrears to pay and money to recover."""
    try:
        first, last = parse_range(str(body.from_month), str(body.to_month))
    except ValidationFailed as exc:  # the same limits as the entitlements query, for fields of the body
        raise ValidationFailed(
            [{**e, "field": e["field"].replace("query.", "body.")} for e in exc.extensions["errors"]]
        ) from None
    paid: dict[Month, int] = {}
    errors = []
    for i, line in enumerate(body.paid):
        if not first <= line.month <= last:
            errors.append({"field": f"body.paid.{i}.month", "reason": f"outside the range {first}..{last}"})
        elif line.month in paid:
            errors.append({"field": f"body.paid.{i}.month", "reason": f"{line.month} is listed twice"})
        paid[line.month] = line.amount
    if errors:
        raise ValidationFailed(errors)
    months = await month_entitlements(session, principal, beneficiary_id, first, last)
    differences = arrears(amounts(months), paid)
    return months, paid, arrears_totals(differences)


# --- bulk entitlements and search ----------------------------------------------------------------------

MAX_BULK_MONTHS = 24
"""Longest range of months the bulk entitlements request may ask for."""
CHUNK = 1000
"""Beneficiaries loaded per round trip by the bulk entitlements stream."""


def parse_bulk_range(first: str, last: str) -> tuple[Month, Month]:
    start, end = parse_range(first, last)
    if end - start + 1 > MAX_BULK_MONTHS:
        raise ValidationFailed([{"field": "query.to", "reason": f"at most {MAX_BULK_MONTHS} months per request"}])
    return start, end


def bulk_line(row: BeneficiaryRow, person: Person, e: MonthEntitlement) -> dict[str, Any]:
    """One NDJSON line: a beneficiary-month (the first line's category when several are paid)."""
    first = e.lines[0] if e.lines else None
    return {
        "beneficiary_id": str(row.id),
        "person_id": str(person.id),
        "month": str(e.month),
        "category": first.category if first else None,
        "coefficient": str(first.coefficient) if first else None,
        "standard_level": first.standard_level if first else None,
        "amount": e.amount,
        "commune_code": person.commune_code,
        "reason": e.reason.value if e.reason else None,
    }


async def beneficiary_months(
    maker: Callable[[], AsyncSession],
    parameters: Parameters,
    principal: Principal,
    first: Month,
    last: Month,
    *,
    commune_code: str | None = None,
    district_code: str | None = None,
    province_code: str | None = None,
    chunk: int = CHUNK,
) -> AsyncIterator[tuple[BeneficiaryRow, Person, MonthEntitlement]]:
    """Every beneficiary-month of the range for the matching beneficiaries, chunk by chunk (keyset on id):
    two queries per chunk (beneficiaries with persons; their decisions), the pure engine per beneficiary."""
    areas = principal.limited_to
    after: uuid.UUID | None = None
    async with maker() as session:
        while True:
            rows = await repository.beneficiaries_chunk(
                session,
                areas=areas,
                commune_code=commune_code,
                district_code=district_code,
                province_code=province_code,
                after=after,
                limit=chunk,
            )
            if not rows:
                return
            found = await facts.inputs(session, rows, parameters)
            for row, person in rows:
                for e in entitlements(found[row.id], parameters, first, last):
                    yield row, person, e
            session.expunge_all()
            if len(rows) < chunk:
                return
            after = rows[-1][0].id


async def bulk_entitlements(
    maker: Callable[[], AsyncSession],
    parameters: Parameters,
    principal: Principal,
    first: Month,
    last: Month,
    *,
    commune_code: str | None,
    district_code: str | None,
    province_code: str | None,
    chunk: int = CHUNK,
) -> AsyncIterator[dict[str, Any]]:
    """The lines of the bulk entitlements stream (:func:`bulk_line` of every :func:`beneficiary_months`)."""
    async for row, person, e in beneficiary_months(
        maker,
        parameters,
        principal,
        first,
        last,
        commune_code=commune_code,
        district_code=district_code,
        province_code=province_code,
        chunk=chunk,
    ):
        yield bulk_line(row, person, e)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


async def search(
    session: AsyncSession,
    principal: Principal,
    *,
    q: str | None,
    category: str | None,
    status: str | None,
    commune_code: str | None,
    district_code: str | None,
    age_from: int | None,
    age_to: int | None,
    poverty_status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[repository.Found], str | None]:
    today = clock.today()
    if age_from is not None and age_to is not None and age_to < age_from:
        raise ValidationFailed([{"field": "query.age_to", "reason": "must not be below age_from"}])
    rows = await repository.search(
        session,
        areas=principal.limited_to,
        today=today,
        key=name_key(q) if q else None,
        category=category,
        status=status,
        commune_code=commune_code,
        district_code=district_code,
        born_after=_years_before(today, age_to + 1) if age_to is not None else None,
        born_on_or_before=_years_before(today, age_from) if age_from is not None else None,
        poverty_status=poverty_status,
        after=keyset(cursor, str, uuid.UUID),
        limit=limit + 1,
    )
    return page_of(rows, limit, lambda b: [b.person.name_key, str(b.row.id)])


NewApplication = repository.NewApplication


async def submit_many(session: AsyncSession, rows: Sequence[NewApplication], *, by: str) -> None:
    """A bulk import's applications, submitted, each with its first change record (``snapshot``; the note as
    reason)."""
    await repository.insert_applications(session, rows, by=by)
    await history_service.record_created(session, "application", by, [(r.id, r.note, r.snapshot) for r in rows])
