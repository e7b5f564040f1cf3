"""Pydantic shapes of reconciliation."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["amount_mismatch", "reported_twice", "unknown_line", "missing_result"]
Status = Literal["open", "resolved"]


class ExceptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: Kind = Field(
        description="`amount_mismatch` (paid ≠ the line's total), `reported_twice` (a second, "
        "different result; the first stands), `unknown_line` (a result for a line not in "
        "the batch), `missing_result` (no result by the batch's deadline)"
    )
    batch_id: uuid.UUID
    payroll_id: uuid.UUID
    line_id: uuid.UUID | None
    commune_code: str
    district_code: str
    province_code: str
    expected: int | None = Field(description="What the line was to pay (VND)")
    reported: int | None = Field(description="What was reported paid (VND)")
    detail: dict[str, Any]
    status: Status
    created_at: datetime
    created_by: str
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None


class ExceptionPage(BaseModel):
    items: list[ExceptionOut]
    next_cursor: str | None


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=3, max_length=2000, description="What was found and done (outside this system)")


class RunOut(BaseModel):
    on: date
    missing_results: int = Field(description="New `missing_result` exceptions")
    batches: int = Field(description="Batches with new missing results")
