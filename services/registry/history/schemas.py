from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ChangeOut(BaseModel):
    version: int = Field(description="The record's version after the change (1: created)")
    changed_at: datetime
    changed_by: str = Field(description="The client that made the change")
    reason: str
    before: dict[str, Any] | None = Field(description="The values before (null when the record was created)")
    after: dict[str, Any]


class HistoryPage(BaseModel):
    items: list[ChangeOut] = Field(description="Newest first")
    next_cursor: str | None = Field(None, description="Pass as `cursor` for older changes; null on the last page")
