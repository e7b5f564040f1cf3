"""The child-protection placement events as payments reads them (unknown fields ignored; names never travel)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field


class PlacementRecordedIn(BaseModel):
    """``child_protection.placement.recorded.v1``."""

    placement_id: uuid.UUID
    child_id: uuid.UUID
    person_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    case_number: str | None = None
    kind: str
    starts_on: date
    foster_allowance: bool
    child_date_of_birth: date | None = None
    commune_code: str
    district_code: str
    province_code: str


class PlacementEndedIn(BaseModel):
    """``child_protection.placement.ended.v1``."""

    placement_id: uuid.UUID
    kind: str
    ends_on: date


class FosterPlacementOut(BaseModel):
    """A foster placement as the ``foster_care`` payroll pays it (identifiers and months; no name)."""

    id: uuid.UUID = Field(description="The placement's id in child protection; the payroll line's `recipient_id`")
    child_id: uuid.UUID
    person_id: uuid.UUID | None = Field(description="The child's registry person, when identified")
    case_number: str | None
    foster_allowance: bool = Field(description="False: the child is not of category 5.1, nothing is paid")
    child_date_of_birth: date | None
    starts_on: date
    ends_on: date | None
    first_month: str | None = Field(description="First month paid (YYYY-MM); null when nothing is paid")
    last_month: str | None = Field(description="Last month paid: the month care ends, or of the 16th birthday")
    rate_change_month: str | None = Field(description="From this month 1.5 × the standard level, before it 2.5 ×")
    recipient_name: str
    commune_code: str
    district_code: str
    province_code: str
    version: int


class FosterPlacementPage(BaseModel):
    items: list[FosterPlacementOut]
    next_cursor: str | None
