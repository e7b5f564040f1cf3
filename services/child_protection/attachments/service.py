"""Attachments of a case: photos of forms, reports. Type and size limited, content checked against the type,
encrypted like the narratives, served only to case readers with a purpose (audited)."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.crypto import FieldCipher
from common.errors import NotFound, ValidationFailed
from common.tabular import UnsupportedMediaType

from ..access import Reader
from ..access.service import audit
from ..cases import service as cases
from ..changes import service as changes
from ..models import Attachment
from . import repository
from .schemas import AttachmentOut

CONTENT = "attachments.content"
SIGNATURES = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "application/pdf": (b"%PDF-",)}


def check(content_type: str | None, body: bytes, allowed: tuple[str, ...]) -> str:
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in allowed:
        raise UnsupportedMediaType(
            f"send {', '.join(allowed)}, not {media or 'no Content-Type'!r}", accepted=list(allowed)
        )
    if not body:
        raise ValidationFailed([{"field": "body", "reason": "empty file"}])
    if not body.startswith(SIGNATURES.get(media, (b"",))):
        raise ValidationFailed([{"field": "body", "reason": f"the content is not {media}"}])
    return media


def _out(a_id: uuid.UUID, case_id: uuid.UUID, media: str, size: int, sha: str, by: str, at: object) -> AttachmentOut:
    return AttachmentOut.model_validate(
        {
            "id": a_id,
            "case_id": case_id,
            "content_type": media,
            "size": size,
            "sha256": sha,
            "created_by": by,
            "created_at": at,
        }
    )


async def add(
    session: AsyncSession, reader: Reader, cipher: FieldCipher, case_id: uuid.UUID, media: str, body: bytes
) -> AttachmentOut:
    case = await cases.get_visible(session, reader, case_id)
    content = cipher.encrypt_bytes(body, CONTENT)
    row = Attachment(
        id=uuid.uuid4(),
        case_id=case.id,
        content_type=media,
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        content_enc=content,
        created_by=reader.client_id,
        created_at=clock.now(),
    )
    await repository.add(session, row)
    await changes.record(session, "attachment", case, case_id=case.id, child_id=case.child_id, entity_id=row.id)
    await audit(session, reader, "attachment", row.id)
    return _out(row.id, case.id, media, row.size, row.sha256, row.created_by, row.created_at)


def location(attachment_id: uuid.UUID) -> str:
    return f"/child-protection/attachments/{attachment_id}"


async def described(session: AsyncSession, reader: Reader, attachment_id: uuid.UUID) -> AttachmentOut:
    """An attachment's description (no content), audited: what a retried upload answers."""
    row = await repository.get(session, attachment_id)
    if row is None:
        raise NotFound(f"no attachment {attachment_id}")
    case = await cases.get_visible(session, reader, row.case_id)
    await audit(session, reader, "attachment", row.id, detail="upload replayed")
    return _out(row.id, case.id, row.content_type, row.size, row.sha256, row.created_by, row.created_at)


async def list_(session: AsyncSession, reader: Reader, case_id: uuid.UUID) -> list[AttachmentOut]:
    case = await cases.get_visible(session, reader, case_id)
    await audit(session, reader, "case", case.id, detail="attachments")
    return [_out(a, case.id, t, s, h, b, at) for a, t, s, h, b, at in await repository.of_case(session, case.id)]


async def content(
    session: AsyncSession, reader: Reader, cipher: FieldCipher, attachment_id: uuid.UUID
) -> tuple[str, bytes]:
    row = await repository.get(session, attachment_id)
    if row is None:
        raise NotFound(f"no attachment {attachment_id}")
    await cases.get_visible(session, reader, row.case_id)  # 404 outside the reader's areas
    await audit(session, reader, "attachment", row.id)
    return row.content_type, cipher.decrypt_bytes(row.content_enc, CONTENT)
