"""Pydantic shapes of the exchange with BHXH."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from common.types import Day, Month, OneLine, Prose

Action = Literal["enrol", "renew", "change", "end"]


class ListIn(BaseModel):
    period: Month = Field(description="The month the list is for (YYYY-MM)")


class ListOut(BaseModel):
    id: uuid.UUID
    period: str
    built_on: date
    item_count: int
    counts: dict[str, int] = Field(description="Items per action: enrol, renew, change, end")
    created_by: str
    created_at: datetime
    download: str


class ItemOut(BaseModel):
    """A person on the list with what BHXH needs: identity (read from the registry for this answer, not stored),
    the group, benefit level and requested validity, and the card it changes or ends."""

    item_id: uuid.UUID
    person_id: uuid.UUID
    action: Action
    group: str
    benefit_level: int
    valid_from: date = Field(description="Requested first day of validity (for `end`: the card's first day)")
    valid_to: date | None = Field(description="Requested last day (for `end`: the day the card ends); null: open")
    current_card: str | None = Field(description="The card code this item changes, renews or ends")
    full_name: str | None
    date_of_birth: date | None
    sex: str | None
    national_id: str | None
    address: str | None
    household_code: str | None
    commune_code: str
    district_code: str
    result: str = Field(description="pending, issued, ended or rejected")
    result_reason: str
    card_code: str | None = Field(None, description="issued: the card BHXH issued for this item")
    card_valid_from: date | None = Field(None, description="issued: the card's first day")
    card_valid_to: date | None = Field(None, description="issued: the card's last day (null: open)")


class ItemPage(BaseModel):
    exchange_list: ListOut
    items: list[ItemOut]
    next_cursor: str | None


class ResultIn(BaseModel):
    """BHXH's answer for one person of the list."""

    person_id: uuid.UUID
    outcome: Literal["issued", "ended", "rejected"]
    card_code: OneLine | None = Field(None, max_length=32, description="15 characters; required for `issued`")
    valid_from: Day | None = Field(None, description="Required for `issued`")
    valid_to: Day | None = None
    reason: OneLine | None = Field(None, max_length=500, description="Required for `rejected`")

    @field_validator("card_code", "reason", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        """An empty card code or reason (a cell left empty, ``""`` sent for an outcome that needs none) is none."""
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _needs(self) -> ResultIn:
        if self.outcome == "issued" and (not self.card_code or self.valid_from is None):
            raise ValueError("an issued card needs card_code and valid_from")
        if self.outcome == "rejected" and not (self.reason or "").strip():
            raise ValueError("a rejection needs a reason")
        if self.valid_to is not None and self.valid_from is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class ResultsIn(BaseModel):
    results: list[ResultIn] = Field(min_length=1, max_length=10_000)


class ExceptionOut(BaseModel):
    id: uuid.UUID
    list_id: uuid.UUID
    person_id: uuid.UUID | None
    kind: str = Field(description="not_in_list, wrong_code, second_card, duplicate_code, reported_twice, wrong_outcome")
    detail: dict[str, object]
    status: str
    resolution: str
    resolved_by: str | None
    created_at: datetime


class ResultsOut(BaseModel):
    applied: int = Field(description="Results recorded (cards issued, ends confirmed, rejections)")
    unchanged: int = Field(description="The same result again: nothing to do")
    exceptions: list[ExceptionOut] = Field(description="Results not applied, kept for an officer to resolve")


class ResolveIn(BaseModel):
    resolution: Prose = Field(min_length=3, max_length=1000)
