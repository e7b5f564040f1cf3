from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class AttachmentOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    content_type: str
    size: int
    sha256: str
    created_by: str
    created_at: datetime
