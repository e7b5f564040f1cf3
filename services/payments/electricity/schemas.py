"""Pydantic shapes of households' electricity-use declarations."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class ElectricityUseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    low_use: bool = Field(description="True: the household uses at most 50 kWh a month, or is off the grid")
    valid_from: date = Field(
        description="From this day; the declaration in force on the first day of a month "
        "counts for that month. May be in the past (arrears)"
    )
    document: str = Field(
        min_length=3,
        max_length=500,
        description="What the declaration rests on",
        examples=["Biên bản xác minh của UBND xã, hóa đơn điện 3 tháng"],
    )


class ElectricityUseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    household_id: uuid.UUID
    valid_from: date
    low_use: bool
    document: str
    commune_code: str
    district_code: str
    province_code: str
    recorded_at: datetime
    recorded_by: str


class HouseholdElectricityOut(BaseModel):
    household_id: uuid.UUID
    declarations: list[ElectricityUseOut] = Field(description="Oldest first; each holds until the next one")
