from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from common.types import NonBlankProse, OneLine, Prose

from ..children.schemas import ChildIn
from ..dates import Day, Instant
from ..rules.cases import Action

Source = Literal["hotline_111", "police", "school", "community", "labour_office"]
RiskLevel = Literal["low", "medium", "high", "immediate_danger"]
SupportKind = Literal["scholarship", "gift", "surgery"]
Funding = Literal["provincial", "charity"]
Service = Literal["counselling", "medical", "education", "legal_aid", "alternative_care", "social_allowance", "other"]


class CaseIn(BaseModel):
    """A report received (Form 01): for a child already recorded (`child_id`) or a new one (`child`)."""

    model_config = ConfigDict(extra="forbid")

    child_id: uuid.UUID | None = None
    child: ChildIn | None = Field(None, description="A child not yet recorded; a name and a commune are enough")
    source: Source
    reported_at: Instant | None = Field(
        None, description="When the report was received (default: now); the 12-hour emergency limit runs from it"
    )
    report: NonBlankProse = Field(min_length=1, max_length=20000, description="What happened (encrypted)")
    perpetrator: Prose | None = Field(None, max_length=4000, description="By whom (encrypted)")
    reporter: Prose | None = Field(None, max_length=2000, description="Who reported, how to reach them (encrypted)")


class CasePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report: NonBlankProse | None = Field(None, min_length=1, max_length=20000)
    perpetrator: Prose | None = Field(None, max_length=4000)
    reporter: Prose | None = Field(None, max_length=2000)
    risk_level: RiskLevel | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class SupportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SupportKind
    funding: Funding
    sponsor: OneLine = Field(min_length=1, max_length=200, examples=["Quỹ Bảo trợ trẻ em tỉnh"])
    amount: int = Field(gt=0, le=500_000_000, strict=True, description="Whole VND")


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: NonBlankProse = Field(min_length=1, max_length=20000, description="The plan (Forms 04/05; encrypted)")
    services: list[Service] = Field(min_length=1, max_length=7)
    support: list[SupportIn] = Field(
        default_factory=list,
        max_length=20,
        description="Money support, paid through payments once the plan is approved",
    )


class StepIn(BaseModel):
    """One step of the case. `initial_assessment` needs `risk_level` (and `separation_needed` when the child must
    be separated from the carer); `draft_plan` needs `plan`; the others a `note` at most."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    note: Prose | None = Field(None, max_length=20000, description="Encrypted")
    risk_level: RiskLevel | None = None
    separation_needed: bool = False
    plan: PlanIn | None = None


class SeparationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_on: Day
    ends_on: Day = Field(description="At most 15 days after `starts_on` (both days counted)")
    note: Prose | None = Field(None, max_length=4000, description="Encrypted")


class ReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Literal["5.1", "5.3"] = Field(description="Monthly social allowance category (Decree 20/2021 Art 5)")


class SupportOut(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    kind: str
    funding: str
    sponsor: str
    amount: int
    status: str = Field(description="`proposed`, `requested`, `paid`, `unpaid`, `returned` or `cancelled`")
    outcome_on: date | None
    outcome_reason: str | None


class PlanOut(BaseModel):
    id: uuid.UUID
    number: int
    status: str
    content: str
    services: list[str]
    drafted_by: str
    drafted_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class DeadlineBrief(BaseModel):
    step: str
    due_at: datetime
    met_at: datetime | None
    status: str = Field(description="`open`, `overdue`, `on_time` or `late`")


class SeparationOut(BaseModel):
    id: uuid.UUID
    decided_at: datetime
    starts_on: date
    ends_on: date
    note: str | None


class CaseOut(BaseModel):
    id: uuid.UUID
    number: str
    child_id: uuid.UUID
    person_id: uuid.UUID | None
    child_name: str
    source: str
    status: str
    next_actions: list[str]
    risk_level: str | None
    reported_at: datetime
    report: str
    perpetrator: str | None
    reporter: str | None
    commune_code: str
    district_code: str
    province_code: str
    version: int
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    updated_at: datetime
    updated_by: str
    plans: list[PlanOut]
    support: list[SupportOut]
    separations: list[SeparationOut]
    deadlines: list[DeadlineBrief]


class CaseSummary(BaseModel):
    id: uuid.UUID
    number: str
    child_id: uuid.UUID
    source: str
    status: str
    risk_level: str | None
    reported_at: datetime
    commune_code: str
    version: int


class CasePage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None


class StepOut(BaseModel):
    action: str
    form: str | None
    from_status: str | None
    to_status: str
    at: datetime
    by: str
    note: str | None


class HistoryOut(BaseModel):
    items: list[StepOut]
