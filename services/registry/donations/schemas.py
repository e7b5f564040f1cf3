"""Pydantic shapes of donations and the facilities' yearly report."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..rules.text import Line, NonBlankProse, OneLine


class DonationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    donor: OneLine = Field(min_length=1, max_length=300, examples=["Công ty TNHH Mekong Xanh"])
    received_on: date = Field(description="The day it was received (not after today)")
    form: Literal["cash", "in_kind"]
    value: int = Field(gt=0, description="Whole VND; for goods, their value as recorded on the receipt")
    description: NonBlankProse = Field(min_length=1, max_length=500, examples=["50 thùng sữa, 200 kg gạo"])
    for_person_id: uuid.UUID | None = Field(
        None,
        description="The resident it was raised for (e.g. a child's treatment); must live in the facility that day",
    )
    document: Line = Field("", max_length=200, description="Receipt or minutes number")


class DonationOut(BaseModel):
    id: uuid.UUID
    facility_id: uuid.UUID
    donor: str
    received_on: date
    form: str
    value: int
    description: str
    for_person_id: uuid.UUID | None
    document: str
    recorded_at: datetime
    recorded_by: str


class DonationPage(BaseModel):
    items: list[DonationOut]
    next_cursor: str | None


class RaisedFor(BaseModel):
    person_id: uuid.UUID
    full_name: str
    value: int = Field(description="Donations raised for this resident in the year, VND")


class FacilityYear(BaseModel):
    facility_id: uuid.UUID
    name: str
    commune_code: str
    residents: int = Field(description="Residents on 31 December (or today, for the current year)")
    residents_by_category: dict[str, int]
    donations: int = Field(description="Donations received in the year")
    donors: int = Field(description="Distinct donors")
    cash: int = Field(description="Cash received, VND")
    in_kind: int = Field(description="Value of goods received, VND")
    total: int = Field(description="cash + in_kind, VND")
    raised_for: list[RaisedFor] = Field(description="Donations raised for one resident, largest first")


class FacilitiesReport(BaseModel):
    year: int
    as_of: date
    facilities: list[FacilityYear]
