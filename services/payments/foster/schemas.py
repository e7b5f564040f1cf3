"""The child-protection placement events as payments reads them (unknown fields ignored; names never travel)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel


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
