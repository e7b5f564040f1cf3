from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from common.types import NonBlankProse, OneLine, Prose

from ..dates import Day
from ..rules.placement import PlacementKind


class PlacementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child_id: uuid.UUID
    case_id: uuid.UUID | None = Field(None, description="The case that decided the placement, if any")
    kind: PlacementKind
    carer: NonBlankProse = Field(
        min_length=1, max_length=4000, description="Carer's name, address and contact, or the facility (encrypted)"
    )
    carer_birth_date: Day | None = Field(None, description="Required for foster and adoptive carers")
    non_kin_reason: Prose | None = Field(None, max_length=2000, description="Why not with relatives (kin first)")
    siblings_in_care: bool = Field(False, description="Brothers or sisters are also in alternative care")
    siblings_together: bool = Field(True, description="Placed with them")
    siblings_reason: Prose | None = Field(None, max_length=2000, description="Why siblings are separated")
    child_consulted: bool = Field(False, description="The child's views were heard (required from age 7)")
    starts_on: Day


class PlacementEndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ends_on: Day = Field(description="The last day of care")
    reason: OneLine = Field(min_length=1, max_length=1000)


class PlacementOut(BaseModel):
    id: uuid.UUID
    child_id: uuid.UUID
    case_id: uuid.UUID | None
    kind: str
    carer: str
    carer_birth_date: date | None
    non_kin_reason: str | None
    siblings_in_care: bool
    siblings_together: bool
    siblings_reason: str | None
    child_consulted: bool
    starts_on: date
    ends_on: date | None
    end_reason: str | None
    reports_made: int
    next_report_due: date | None
    foster_allowance: bool
    commune_code: str
    version: int
    recorded_by: str
    recorded_at: datetime
