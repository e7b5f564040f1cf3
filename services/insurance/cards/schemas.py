"""Pydantic shapes of cards and their history."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class CardOut(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    group: str
    code: str = Field(description="15 characters: object code, benefit level, issuing province, 10-digit number")
    number: str = Field(description="The 10-digit number printed on the card")
    issuing_province: str
    valid_from: date
    valid_to: date | None
    ended_on: date | None
    end_reason: str | None
    commune_code: str
    district_code: str
    province_code: str


class EntitlementOut(BaseModel):
    group: str
    valid_from: date
    valid_to: date | None = Field(description="Last day (inclusive); null: open")


class HistoryOut(BaseModel):
    card_id: uuid.UUID
    kind: str = Field(description="issued, renewed, changed_group or ended")
    group: str
    code: str
    valid_from: date
    valid_to: date | None
    reason: str
    recorded_by: str
    recorded_at: datetime


class CardsOut(BaseModel):
    """A person's decided entitlement (one group per day), cards and the cards' append-only history."""

    person_id: uuid.UUID
    entitlements: list[EntitlementOut]
    cards: list[CardOut]
    history: list[HistoryOut]
