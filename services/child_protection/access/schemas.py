from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class AuditEntry(BaseModel):
    at: datetime
    client_id: str
    record_type: str
    record_id: uuid.UUID | None
    purpose: str
    request_id: str | None
    detail: str | None


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None
