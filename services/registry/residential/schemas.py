"""Request and response bodies of the residential-care API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..rules.text import SpacedLine, SpacedOneLine

ResidentCategory = Literal["elderly", "severe_mental_illness", "orphan", "disability", "other"]
CATEGORIES: tuple[str, ...] = ("elderly", "severe_mental_illness", "orphan", "disability", "other")
Name = Annotated[SpacedOneLine, Field(min_length=1, max_length=300, examples=["Trung tâm Bảo trợ xã hội tỉnh"])]
Reason = Annotated[SpacedLine, Field(max_length=300)]


class FacilityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    commune_code: str = Field(min_length=1, max_length=10, examples=["29236"])
    capacity: int = Field(ge=1, le=100_000, description="Most residents at a time")


class FacilityOut(BaseModel):
    id: uuid.UUID
    name: str
    commune_code: str
    district_code: str
    province_code: str
    capacity: int
    residents: int = Field(description="Current residents")
    residents_by_category: dict[str, int] = Field(description="Current residents per category (every category)")
    created_at: datetime


class AdmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID
    admitted_on: date
    category: ResidentCategory
    reason: Reason = ""


class DischargeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    discharged_on: date
    reason: Reason = ""


class ResidencyOut(BaseModel):
    id: uuid.UUID
    facility_id: uuid.UUID
    person_id: uuid.UUID
    full_name: str | None = None
    admitted_on: date
    discharged_on: date | None
    category: str
    reason: str


class ResidentPage(BaseModel):
    items: list[ResidencyOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")
