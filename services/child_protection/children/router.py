"""HTTP routes of children (the gateway serves them under ``/child-protection``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response, status
from fastapi.responses import JSONResponse

from common.concurrency import etag
from common.db import SessionDep
from common.types import INT64_MAX

from .. import idempotent
from ..access import ReadAccess, WriteAccess
from ..cipher import CipherDep
from . import service
from .schemas import ChildIn, ChildOut, ChildPatch, MembershipEndIn, MembershipIn

router = APIRouter(prefix="/children", tags=["children"])
IfMatch = Annotated[str | None, Header(alias="If-Match", description="The ETag of the version read")]


@router.post("", summary="Record a child", status_code=status.HTTP_201_CREATED, response_model=ChildOut)
async def create_child(
    body: ChildIn, request: Request, response: Response, session: SessionDep, reader: WriteAccess, cipher: CipherDep
) -> ChildOut | JSONResponse:
    """Record a child under 16 in special circumstances, identified (`person_id`) or not yet (a name and a
    commune are enough), with the groups of Law on Children Art 10 the child is in, each with its evidence.
    `whereabouts` is encrypted at rest. The commune must be within the client's areas. A child identified,
    under 6 and with `has_insurance_card: false` is proposed for a TE card
    (`child_protection.child.insurance_proposed.v1`). Returns `ETag` and `Location`. `Idempotency-Key`
    makes retries safe. Needs `child_protection:case` and `X-Purpose`."""

    async def work() -> tuple[ChildOut, uuid.UUID, dict[str, str]]:
        child = await service.create(session, reader, cipher, body)
        out = await service.out(session, cipher, child)
        return out, child.id, {"ETag": etag(child.version), "Location": service.location(child.id)}

    return await idempotent.respond(
        session, reader, request, response, lambda i: service.read(session, reader, cipher, i), work
    )


@router.get("/{child_id}", summary="A child", response_model=ChildOut)
async def read_child(
    child_id: uuid.UUID, response: Response, session: SessionDep, reader: ReadAccess, cipher: CipherDep
) -> ChildOut:
    """A child with the history of its groups. `404` when missing or outside the client's areas. Needs
    `child_protection:case` or `child_protection:read` and `X-Purpose`; every read is audited."""
    out = await service.read(session, reader, cipher, child_id)
    response.headers["ETag"] = etag(out.version)
    return out


@router.patch("/{child_id}", summary="Correct a child's record or link it to the registry", response_model=ChildOut)
async def update_child(
    child_id: uuid.UUID,
    body: ChildPatch,
    response: Response,
    session: SessionDep,
    reader: WriteAccess,
    cipher: CipherDep,
    if_match: IfMatch = None,
) -> ChildOut:
    """JSON merge patch. `person_id` links a child first reported by name and place to the registry person
    once identified (`409` when that person already has a record). Needs `If-Match` (missing `428`, stale
    `412`: another officer changed the record)."""
    child = await service.update(session, reader, cipher, child_id, if_match, body)
    response.headers["ETag"] = etag(child.version)
    return await service.out(session, cipher, child)


@router.post("/{child_id}/groups", summary="Add a circumstance group", response_model=ChildOut)
async def add_group(
    child_id: uuid.UUID,
    body: MembershipIn,
    response: Response,
    session: SessionDep,
    reader: WriteAccess,
    cipher: CipherDep,
) -> ChildOut:
    """The child is in `group` from `valid_from`, as `evidence` shows. `409` when it overlaps a membership of
    the same group; history is kept (end one, then add another)."""
    child = await service.add_membership(session, reader, child_id, body)
    response.headers["ETag"] = etag(child.version)
    return await service.out(session, cipher, child)


@router.post("/{child_id}/groups/{membership_id}/end", summary="End a circumstance group", response_model=ChildOut)
async def end_group(
    child_id: uuid.UUID,
    membership_id: Annotated[int, Path(ge=1, le=INT64_MAX, description="The membership's `id`")],
    body: MembershipEndIn,
    response: Response,
    session: SessionDep,
    reader: WriteAccess,
    cipher: CipherDep,
) -> ChildOut:
    """The child left the group after `valid_to` (e.g. adopted, recovered, turned 16), as `evidence` shows."""
    child = await service.end_membership(session, reader, child_id, membership_id, body)
    response.headers["ETag"] = etag(child.version)
    return await service.out(session, cipher, child)
