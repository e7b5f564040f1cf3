"""Attachments of cases: upload (raw body), list, download."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse, Response

from common.db import SessionDep
from common.tabular import read_upload

from .. import idempotent
from ..access import ReadAccess, WriteAccess
from ..cipher import CipherDep
from . import service
from .schemas import AttachmentOut

router = APIRouter(tags=["attachments"])


@router.post(
    "/cases/{case_id}/attachments",
    summary="Attach a file to a case",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def upload(
    case_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    reader: WriteAccess,
    cipher: CipherDep,
) -> AttachmentOut | JSONResponse:
    """Send the file as the request body with its `Content-Type`: `image/jpeg`, `image/png` or
    `application/pdf` (`415` otherwise; `422` when the content is not of that type), at most 5 MB by default
    (`413`). Stored encrypted in the service's own database; returns its id, size and SHA-256 for the device to
    check, and `Location`. `Idempotency-Key` makes a retry after a dropped connection safe: the same key and file
    answer the attachment stored the first time (`Idempotent-Replayed: true`), the same key with another file
    `422`. Needs `child_protection:case` and `X-Purpose`."""
    settings = request.app.state.settings
    body = await read_upload(request, settings.attachment_max_bytes)
    media = service.check(request.headers.get("content-type"), body, settings.attachment_types)

    async def work() -> tuple[AttachmentOut, uuid.UUID, dict[str, str]]:
        out = await service.add(session, reader, cipher, case_id, media, body)
        return out, out.id, {"Location": service.location(out.id)}

    return await idempotent.respond(
        session, reader, request, response, lambda i: service.described(session, reader, i), work
    )


@router.get("/cases/{case_id}/attachments", summary="A case's attachments", response_model=list[AttachmentOut])
async def list_attachments(case_id: uuid.UUID, session: SessionDep, reader: ReadAccess) -> list[AttachmentOut]:
    """Type, size, checksum, who and when of each file (no content). Audited."""
    return await service.list_(session, reader, case_id)


@router.get(
    "/attachments/{attachment_id}",
    summary="Download an attachment",
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "application/pdf": {}}}},
)
async def download(attachment_id: uuid.UUID, session: SessionDep, reader: ReadAccess, cipher: CipherDep) -> Response:
    """The file, never without `child_protection:case` or `child_protection:read`, the case within the client's
    areas (`404` otherwise) and `X-Purpose`; every download is audited."""
    media, body = await service.content(session, reader, cipher, attachment_id)
    return Response(
        body,
        media_type=media,
        headers={"Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="{attachment_id}"'},
    )
