"""HTTP routes of application drafts: child protection's referrals for the monthly allowance (the gateway serves them
under ``/registry``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from common.auth import Principal, require
from common.db import SessionDep

from . import service
from .schemas import DismissIn, DraftOut, DraftPage, SubmitIn, SubmittedOut

router = APIRouter(tags=["application drafts"])

Reader = Annotated[Principal, require("registry:read")]
Writer = Annotated[Principal, require("registry:write")]


@router.get("/application-drafts", response_model=DraftPage)
async def list_drafts(
    session: SessionDep,
    principal: Reader,
    status: Annotated[
        Literal["draft", "submitted", "dismissed"] | None,
        Query(description="Only drafts in this state (`draft`: still to handle)"),
    ] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the page before")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> DraftPage:
    """Application drafts from child protection's referrals (a child for 5.1 or 5.3, the case number as `source`),
    oldest first, for persons within the client's areas."""
    return await service.page(session, principal, status, cursor, limit)


@router.get("/application-drafts/{draft_id}", response_model=DraftOut)
async def read_draft(draft_id: uuid.UUID, session: SessionDep, principal: Reader) -> DraftOut:
    """One draft (`404` when missing or its person is outside the client's areas)."""
    return service.out(await service.get_visible(session, principal, draft_id))


@router.post("/application-drafts/{draft_id}/submit", status_code=201, response_model=SubmittedOut)
async def submit_draft(
    draft_id: uuid.UUID, body: SubmitIn, response: Response, session: SessionDep, principal: Writer
) -> SubmittedOut:
    """Turn the draft into an application for its category, submitted by this client, with the case number in its
    note. **Another client** approves or rejects it (`POST /registry/applications/{id}/approve` or `/reject`, the
    usual maker-checker). `409` `draft-decided` when the draft was already submitted or dismissed; the person's
    checks are those of any application (not deceased, within the client's areas)."""
    out = await service.submit(session, principal, draft_id, body)
    response.headers["Location"] = f"/registry/applications/{out.application.id}"
    return out


@router.post("/application-drafts/{draft_id}/dismiss", response_model=DraftOut)
async def dismiss_draft(draft_id: uuid.UUID, body: DismissIn, session: SessionDep, principal: Writer) -> DraftOut:
    """Make no application, with the reason (`409` `draft-decided` when already handled)."""
    return await service.dismiss(session, principal, draft_id, body)
