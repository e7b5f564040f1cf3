"""The audit trail of reads, for supervisors."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from common.db import SessionDep

from ..dates import Instant
from . import SupervisorAccess, service
from .schemas import AuditPage

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", summary="Who read which child or case, when and why", response_model=AuditPage)
async def audit_trail(
    session: SessionDep,
    reader: SupervisorAccess,
    record_id: uuid.UUID | None = None,
    client_id: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[Instant | None, Query(description="From this instant (included)")] = None,
    until: Annotated[Instant | None, Query(description="Before this instant")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> AuditPage:
    """Every read of a child, case, placement or attachment, newest first: `at`, `client_id`, `record_type`,
    `record_id`, `purpose` (the `X-Purpose` sent), `request_id`. Filter by record, client and time. Needs the
    `child_protection:read` scope (named in the token; `admin` alone is not enough) and an `X-Purpose` header —
    reading the trail is itself recorded. A supervisor limited to areas sees the reads of records within them only
    (reads of lists and of the change feed, which name no single record, are for supervisors of the province)."""
    page = await service.trail(
        session, reader, record_id=record_id, client_id=client_id, since=since, until=until, cursor=cursor, limit=limit
    )
    await service.audit(session, reader, "audit_trail", record_id, detail=f"client_id={client_id or ''}")
    return page
