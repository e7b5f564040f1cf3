from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class ChangeOut(BaseModel):
    position: int
    entity: str = Field(description="`child`, `case`, `placement` or `attachment`")
    id: uuid.UUID
    case_id: uuid.UUID | None
    child_id: uuid.UUID | None
    version: int | None = Field(description="The record's version after the change (its ETag)")
    commune_code: str
    at: datetime


class ChangePage(BaseModel):
    items: list[ChangeOut]
    next_cursor: str = Field(description="Send as `after` next time (also when `items` is empty)")
    more: bool = Field(description="True when more changes wait: ask again at once")
