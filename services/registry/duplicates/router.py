"""HTTP routes of possible duplicates (the gateway serves them under ``/registry``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from common.auth import Principal, require
from common.db import SessionDep

from ..history.schemas import HistoryPage
from ..persons.schemas import PersonOut
from . import service as duplicates_service
from .schemas import Dismiss, Merge, MergeOut, PossibleDuplicateOut, PossibleDuplicatePage, Status

router = APIRouter(prefix="/persons/possible-duplicates", tags=["persons"])


@router.get("", response_model=PossibleDuplicatePage)
async def list_possible_duplicates(
    session: SessionDep,
    principal: Annotated[Principal, require("registry:read")],
    status: Annotated[Status | None, Query(description="Only pairs in this state (e.g. `open`)")] = None,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> PossibleDuplicatePage:
    """Pairs of person records that may be one person, newest first, for an officer to merge or dismiss.

    A pair is flagged when a record is registered (`POST /persons`), imported, or joins a household, and another
    live record has the same name without diacritics and the same date of birth in the same commune, or the same
    name and birth year in the same household (two records with different national IDs are never a pair). Nothing
    is merged automatically. Only pairs whose two records are both within the client's areas are listed."""
    items, next_cursor = await duplicates_service.page(session, principal, status=status, cursor=cursor, limit=limit)
    return PossibleDuplicatePage(items=[PossibleDuplicateOut.model_validate(i) for i in items], next_cursor=next_cursor)


@router.get("/{duplicate_id}/history", response_model=HistoryPage)
async def possible_duplicate_history(
    duplicate_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, require("registry:read")],
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> HistoryPage:
    """Who dismissed or merged the pair, when and why (`reason`), newest first. The records' own histories
    (`GET /persons/{id}/history`) show the merge too."""
    items, next_cursor = await duplicates_service.history(session, principal, duplicate_id, cursor, limit)
    return HistoryPage.model_validate({"items": items, "next_cursor": next_cursor})


@router.post("/{duplicate_id}/dismiss", response_model=PossibleDuplicateOut)
async def dismiss_possible_duplicate(
    duplicate_id: uuid.UUID,
    body: Dismiss,
    session: SessionDep,
    principal: Annotated[Principal, require("registry:write")],
) -> PossibleDuplicateOut:
    """Two different people: the pair is closed (`dismissed`) with the reason, and is not flagged again.

    `404` when the pair does not exist or one of its records is outside the client's areas; `409`
    `possible-duplicate-resolved` when it was already merged or dismissed."""
    return PossibleDuplicateOut.model_validate(await duplicates_service.dismiss(session, principal, duplicate_id, body))


@router.post("/{duplicate_id}/merge", response_model=MergeOut)
async def merge_possible_duplicate(
    duplicate_id: uuid.UUID,
    body: Merge,
    session: SessionDep,
    principal: Annotated[Principal, require("registry:write")],
) -> MergeOut:
    """One person: keep `survivor_id` and merge the other record into it.

    The other record's applications, beneficiary (with its decisions), household memberships, residencies and
    study periods move to the survivor; its national ID too when the survivor has none. The other record is kept,
    with its history, and shows `merged_into`; both records' histories say who merged them and why. Publishes
    `registry.person.merged.v1` (and the moved beneficiary's schedule again, under the survivor).

    `409` `merge-conflict` (with `problems`) when the records have different national IDs, are both beneficiaries,
    are members of different households, are both residents of a facility, or only the one merged away has a
    recorded death; `409` `possible-duplicate-resolved` when the pair is no longer open."""
    result = await duplicates_service.merge(session, principal, duplicate_id, body)
    return MergeOut(
        duplicate=PossibleDuplicateOut.model_validate(result["duplicate"]),
        survivor=PersonOut.model_validate(result["survivor"], from_attributes=True),
        merged=PersonOut.model_validate(result["merged"], from_attributes=True),
        moved=result["moved"],
    )
