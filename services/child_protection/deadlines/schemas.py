from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class DeadlineOut(BaseModel):
    step: str = Field(
        description="`emergency_action`, `plan_draft`, `plan_approval`, `separation_decision`, "
        "`separation_end` or `carer_report`"
    )
    due_at: datetime
    opened_at: datetime
    overdue: bool
    case_id: uuid.UUID | None
    case_number: str | None
    case_status: str | None
    placement_id: uuid.UUID | None
    child_id: uuid.UUID
    commune_code: str
    district_code: str


class DeadlinePage(BaseModel):
    items: list[DeadlineOut]
    next_cursor: str | None
