"""Alternative care placements."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status
from fastapi.responses import JSONResponse

from common.concurrency import etag
from common.db import SessionDep

from .. import idempotent
from ..access import ReadAccess, WriteAccess
from ..cipher import CipherDep
from . import service
from .schemas import PlacementEndIn, PlacementIn, PlacementOut

router = APIRouter(tags=["alternative care"])
IfMatch = Annotated[str | None, Header(alias="If-Match", description="The ETag of the version read")]


@router.post(
    "/placements",
    summary="Place a child in alternative care",
    status_code=status.HTTP_201_CREATED,
    response_model=PlacementOut,
)
async def create_placement(
    body: PlacementIn, request: Request, response: Response, session: SessionDep, reader: WriteAccess, cipher: CipherDep
) -> PlacementOut | JSONResponse:
    """Kinship, foster family, adoption or facility, from `starts_on`. Checked on write, every problem at once
    (`422`): kin first (any other kind records `non_kin_reason`); siblings kept together unless
    `siblings_reason`; a child aged 7 or more consulted; a foster or adoptive carer at least 20 years older
    than the child. `409` while another placement of the child is open. The carer's first report is due 6
    months after the start, then yearly (in the deadline lists). `carer` is encrypted. Publishes
    `child_protection.placement.recorded.v1`. `Idempotency-Key` makes retries safe."""

    async def work() -> tuple[PlacementOut, uuid.UUID, dict[str, str]]:
        p = await service.create(session, reader, cipher, body)
        out = await service.out(session, cipher, p)
        return out, p.id, {"ETag": etag(p.version), "Location": service.location(p.id)}

    return await idempotent.respond(
        session, reader, request, response, lambda i: service.read(session, reader, cipher, i), work
    )


@router.get("/placements/{placement_id}", summary="A placement", response_model=PlacementOut)
async def read_placement(
    placement_id: uuid.UUID, response: Response, session: SessionDep, reader: ReadAccess, cipher: CipherDep
) -> PlacementOut:
    """Audited like every read of a child's record."""
    out = await service.read(session, reader, cipher, placement_id)
    response.headers["ETag"] = etag(out.version)
    return out


@router.get(
    "/children/{child_id}/placements", summary="A child's placements (history)", response_model=list[PlacementOut]
)
async def child_placements(
    child_id: uuid.UUID, session: SessionDep, reader: ReadAccess, cipher: CipherDep
) -> list[PlacementOut]:
    """Every placement of the child, oldest first. Audited."""
    return await service.of_child(session, reader, cipher, child_id)


@router.post(
    "/placements/{placement_id}/carer-reports", summary="Record the carer's report", response_model=PlacementOut
)
async def carer_report(
    placement_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    reader: WriteAccess,
    cipher: CipherDep,
    if_match: IfMatch = None,
) -> PlacementOut:
    """The carer reported (6 months after the start, then yearly): meets the due report and sets the next one.
    Needs `If-Match`."""
    p = await service.carer_report(session, reader, placement_id, if_match)
    response.headers["ETag"] = etag(p.version)
    return await service.out(session, cipher, p)


@router.post("/placements/{placement_id}/end", summary="End a placement", response_model=PlacementOut)
async def end_placement(
    placement_id: uuid.UUID,
    body: PlacementEndIn,
    response: Response,
    session: SessionDep,
    reader: WriteAccess,
    cipher: CipherDep,
    if_match: IfMatch = None,
) -> PlacementOut:
    """The placement ended after `ends_on`; history is kept. Publishes `child_protection.placement.ended.v1`.
    Needs `If-Match`."""
    p = await service.end(session, reader, placement_id, if_match, body)
    response.headers["ETag"] = etag(p.version)
    return await service.out(session, cipher, p)
