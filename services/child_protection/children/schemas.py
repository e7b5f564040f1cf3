from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from common.types import OneLine, Prose

from ..dates import Day

Sex = Literal["male", "female"]


class MembershipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: str = Field(examples=["orphan"], description="A code of `GET /child-protection/groups`")
    valid_from: Day
    evidence: OneLine = Field(
        min_length=1,
        max_length=500,
        examples=["Death certificates 12/2026/TLKT, 13/2026/TLKT"],
        description="The document that evidences the circumstance",
    )


class MembershipEndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid_to: Day = Field(description="The last day the child was in the group")
    evidence: OneLine = Field(min_length=1, max_length=500)


class MembershipOut(BaseModel):
    id: int
    group: str
    valid_from: date
    valid_to: date | None
    evidence: str
    ended_evidence: str | None
    recorded_by: str
    recorded_at: datetime


class ChildIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: OneLine = Field(
        min_length=1,
        max_length=200,
        examples=["Nguyễn Văn An"],
        description="As reported; a hotline report may give a first name only",
    )
    date_of_birth: Day | None = Field(None, description="Unknown at first for a child not yet identified")
    sex: Sex | None = None
    commune_code: str = Field(min_length=1, max_length=10, description="Where the child lives or was found")
    whereabouts: Prose | None = Field(None, max_length=4000, description="Where the child is now (encrypted)")
    person_id: uuid.UUID | None = Field(None, description="The registry person, once identified")
    has_insurance_card: bool | None = Field(None, description="Whether the child holds a health-insurance card")
    groups: list[MembershipIn] = Field(default_factory=list, max_length=14)


class ChildPatch(BaseModel):
    """JSON merge patch: only the fields sent change; `null` clears an optional one."""

    model_config = ConfigDict(extra="forbid")

    full_name: OneLine | None = Field(None, min_length=1, max_length=200)
    date_of_birth: Day | None = None
    sex: Sex | None = None
    commune_code: str | None = Field(None, min_length=1, max_length=10)
    whereabouts: Prose | None = Field(None, max_length=4000)
    person_id: uuid.UUID | None = Field(None, description="Link the child to the registry person once identified")
    has_insurance_card: bool | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class ChildOut(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID | None
    full_name: str
    date_of_birth: date | None
    sex: str | None
    commune_code: str
    district_code: str
    province_code: str
    whereabouts: str | None
    has_insurance_card: bool | None
    insurance_proposed_at: datetime | None
    groups: list[MembershipOut]
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class PersonMergedIn(BaseModel):
    """``registry.person.merged.v1`` as child protection reads it: the record ``person_id`` was merged into
    ``survivor_id`` (the areas and the beneficiary are not needed here)."""

    person_id: uuid.UUID
    survivor_id: uuid.UUID
