from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from common.types import OneLine


class GroupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    ordinal: int
    name_vi: str
    name_en: str
    legal_basis: str


class HolidayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: OneLine = Field(min_length=1, max_length=200, examples=["Tết Nguyên đán"])


class HolidayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    name: str
    recorded_by: str
    recorded_at: datetime
