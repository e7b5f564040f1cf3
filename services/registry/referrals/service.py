"""Child protection's referrals for the monthly allowance (5.1, 5.3) as application drafts. Never commits.

A draft is not an application: nothing is decided until an officer submits it — it then becomes an ordinary
application (submitted by that officer, the case number in its note) that another client approves or rejects through
the existing maker-checker flow — or dismisses it with a reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import NotFound
from common.pagination import keyset, page_of

from ..beneficiaries import service as beneficiaries
from ..beneficiaries.schemas import ApplicationCreate, ApplicationOut
from ..history import service as history
from ..models import ApplicationDraft
from ..persons import service as persons
from . import repository
from .exceptions import DraftDecided
from .schemas import DismissIn, DraftOut, DraftPage, ReferralIn, SubmitIn, SubmittedOut

log = structlog.get_logger("registry.referrals")


def location(draft_id: uuid.UUID) -> str:
    return f"/registry/application-drafts/{draft_id}"


def out(d: ApplicationDraft) -> DraftOut:
    return DraftOut(
        id=d.id,
        person_id=d.person_id,
        category=d.category,
        source=d.case_number,
        referred_by=d.referred_by,
        received_at=d.received_at,
        status=d.status,  # type: ignore[arg-type]
        application_id=d.application_id,
        decided_by=d.decided_by,
        decided_at=d.decided_at,
        dismiss_reason=d.dismiss_reason,
    )


async def receive(session: AsyncSession, data: ReferralIn) -> bool:
    """A draft for the referral (True), or nothing when the same case already referred the person for the category
    or the person is not in the registry (logged: identifiers only)."""
    # A referral naming a record merged away (sent before child protection learnt of the merge) is the survivor's.
    person_id = await repository.current_record(session, data.person_id)
    if person_id is None:
        log.warning("referral_for_unknown_person", person_id=str(data.person_id), case_id=str(data.case_id))
        return False
    return await repository.add(
        session,
        {
            "id": uuid.uuid4(),
            "person_id": person_id,
            "category": data.category,
            "case_id": data.case_id,
            "case_number": data.case_number,
            "referred_by": data.referred_by,
        },
    )


async def get_visible(
    session: AsyncSession, principal: Principal, draft_id: uuid.UUID, *, for_update: bool = False
) -> ApplicationDraft:
    """The draft, or 404 when missing or its person is outside the caller's areas."""
    draft = await repository.get(session, draft_id, for_update=for_update)
    if draft is None:
        raise NotFound(f"no application draft {draft_id}")
    try:
        await persons.get_visible(session, principal, draft.person_id)
    except NotFound:
        raise NotFound(f"no application draft {draft_id}") from None
    return draft


async def page(
    session: AsyncSession, principal: Principal, status: str | None, cursor: str | None, limit: int
) -> DraftPage:
    after = keyset(cursor, datetime.fromisoformat, uuid.UUID)
    areas = principal.limited_to
    rows = await repository.page(session, sorted(areas) if areas is not None else None, status, after, limit + 1)
    items, next_cursor = page_of(rows, limit, lambda d: [d.received_at.isoformat(), str(d.id)])
    return DraftPage(items=[out(d) for d in items], next_cursor=next_cursor)


def _open(draft: ApplicationDraft) -> None:
    if draft.status != "draft":
        application = f"/registry/applications/{draft.application_id}" if draft.application_id else None
        raise DraftDecided(f"the draft is already {draft.status}", current_status=draft.status, application=application)


async def submit(session: AsyncSession, principal: Principal, draft_id: uuid.UUID, body: SubmitIn) -> SubmittedOut:
    draft = await get_visible(session, principal, draft_id, for_update=True)
    _open(draft)
    note = f"Đề nghị của bảo vệ trẻ em, hồ sơ {draft.case_number}" + (f". {body.note}" if body.note else "")
    app = await beneficiaries.submit(
        session, principal, ApplicationCreate(person_id=draft.person_id, categories=[draft.category], note=note[:2000])
    )
    await session.flush()
    draft.status, draft.application_id = "submitted", app.id
    draft.decided_by, draft.decided_at = principal.client_id, datetime.now(UTC)
    history.record(
        session,
        record_type="application_draft",
        record_id=draft.id,
        version=2,
        changed_by=principal.client_id,
        reason=body.note,
        before={"status": "draft"},
        after={"status": "submitted", "application_id": str(app.id)},
    )
    return SubmittedOut(draft=out(draft), application=ApplicationOut.model_validate(app, from_attributes=True))


async def dismiss(session: AsyncSession, principal: Principal, draft_id: uuid.UUID, body: DismissIn) -> DraftOut:
    draft = await get_visible(session, principal, draft_id, for_update=True)
    _open(draft)
    draft.status, draft.dismiss_reason = "dismissed", body.reason
    draft.decided_by, draft.decided_at = principal.client_id, datetime.now(UTC)
    history.record(
        session,
        record_type="application_draft",
        record_id=draft.id,
        version=2,
        changed_by=principal.client_id,
        reason=body.reason,
        before={"status": "draft"},
        after={"status": "dismissed"},
    )
    return out(draft)


async def rekey_person(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID, by: str, at: datetime) -> int:
    """A merge: the merged record's open drafts move to the survivor (a draft the survivor already has for the same
    case and category is dismissed instead). Drafts moved."""
    return await repository.rekey_open(session, merged, survivor, by, at)
