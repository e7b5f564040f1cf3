"""Pydantic shapes of the groups recorded as data."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from common.types import Day, OneLine


class RecordedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: str = Field(
        description="A card group recorded as data: HS (pupil) or SV (student); see /parameters (`from_events: false`)",
        examples=["HS"],
    )
    valid_from: Day = Field(description="First day of the status (e.g. the school year's first day)")
    valid_to: Day | None = Field(None, description="Last day of the status (inclusive); null: until withdrawn")
    document: OneLine = Field(
        min_length=1,
        max_length=500,
        description="The supporting document: the school's or university's confirmation (number, date)",
    )


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: OneLine = Field(min_length=1, max_length=500, description="Why the record no longer holds")


class RecordedOut(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    group: str
    valid_from: date
    valid_to: date | None
    document: str
    recorded_by: str
    recorded_at: datetime
    withdrawn_by: str | None = None
    withdrawn_at: datetime | None = None
    withdraw_reason: str | None = None


class RecordedListOut(BaseModel):
    person_id: uuid.UUID
    items: list[RecordedOut]
