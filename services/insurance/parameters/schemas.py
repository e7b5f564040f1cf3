"""Pydantic shapes of card groups and effective-dated parameters."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from common.types import Day, OneLine, Prose


class GroupOut(BaseModel):
    code: str = Field(description="Object code printed at the start of the card code (TE, BT, HN, CN, GB, HS, SV)")
    name: str
    benefit_level: int = Field(description="1 pays the most; the card code's third character")
    statutory_order: int = Field(description="Breaks a tie between groups of the same benefit level (lower first)")
    state_share: str = Field(description="The state's share of the contribution in force today (decimal, 1 = 100%)")
    from_events: bool = Field(description="Entitlement decided from registry events; false: recorded as data")
    legal_basis: str


class ValueOut(BaseModel):
    id: uuid.UUID
    name: str
    valid_from: date
    value: str = Field(description="Exact decimal as a string (VND for base_salary, a fraction for the others)")
    legal_basis: str
    status: str = Field(description="proposed, approved or rejected")
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str


class ParametersOut(BaseModel):
    """Card groups and every parameter value with its legal basis; a value applies from `valid_from` until the next
    approved value of the same name."""

    groups: list[GroupOut]
    values: list[ValueOut] = Field(description="Approved values, by name then date")
    proposals: list[ValueOut] = Field(description="Values proposed and waiting for a second admin")


class ProposalIn(BaseModel):
    name: str = Field(
        examples=["base_salary"],
        max_length=40,
        description="base_salary, contribution_rate, state_share.<group>, household_factor.<1-5>",
    )
    valid_from: Day = Field(description="First day it applies; may be in the past (decrees are often retroactive)")
    value: Decimal = Field(ge=0, description='Send as a string: "2530000", "0.045", "0.3"')
    legal_basis: OneLine = Field(min_length=3, max_length=500, examples=["Nghị định 73/2024/NĐ-CP"])


class DecisionIn(BaseModel):
    reason: Prose = Field("", max_length=500)
