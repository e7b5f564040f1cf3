"""Request and response bodies of the households API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..rules.text import Line, OneLine, SpacedLine, SpacedOneLine

Relationship = Literal["head", "spouse", "child", "parent", "grandchild", "sibling", "other"]
PovertyStatusValue = Literal["poor", "near_poor", "average_living_farming", "none"]
Code = Annotated[str, Field(min_length=1, max_length=10, examples=["29236"])]
AddressLine = Annotated[SpacedLine, Field(max_length=300)]
Document = Annotated[
    SpacedOneLine,
    Field(
        min_length=1,
        max_length=300,
        examples=["Quyết định 123/QĐ-UBND ngày 15/01/2026"],
        description="The deciding document: its number and date",
    ),
]


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID
    relationship: Relationship = Field(description="Relationship to the head of the household (`head` for the head)")
    joined_on: date | None = Field(None, description="Day the person joined the household; today if omitted")


class PovertyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: PovertyStatusValue
    valid_from: date
    document: Document


class HouseholdCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[OneLine, Field(min_length=1, max_length=50)] | None = Field(
        None, description="The household's code (mã hộ), unique when given; empty is none"
    )
    commune_code: Code
    address_line: AddressLine = ""
    members: list[MemberIn] = Field(min_length=1, max_length=50, description="Exactly one has relationship `head`")
    poverty: PovertyIn | None = None

    @field_validator("code", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        """An empty code (``""``, spaces: a field left empty) is no code, as an empty cell of an import is."""
        return None if isinstance(value, str) and not value.strip() else value


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    commune_code: Code
    address_line: AddressLine | None = Field(None, description="The new address line; kept if omitted")
    valid_from: date = Field(description="First day at the new address")
    reason: Line = Field("", max_length=500, description="Why; kept in the household's history")


class MemberOut(BaseModel):
    person_id: uuid.UUID
    full_name: str
    relationship: Relationship
    joined_on: date


class PovertyOut(BaseModel):
    status: PovertyStatusValue
    valid_from: date
    document: str
    recorded_at: datetime
    recorded_by: str


class AddressOut(BaseModel):
    commune_code: str
    district_code: str
    province_code: str
    address_line: str
    valid_from: date
    valid_to: date | None = Field(description="First day no longer there; null for the current address")


class HouseholdOut(BaseModel):
    id: uuid.UUID
    code: str | None
    commune_code: str
    district_code: str
    province_code: str
    address_line: str
    version: int
    members: list[MemberOut] = Field(description="Current members (those who have not left)")
    poverty_status: PovertyOut | None = Field(description="The status in force today; null if none recorded")
    poverty_history: list[PovertyOut] = Field(description="Every status recorded, latest `valid_from` first")
    addresses: list[AddressOut] = Field(description="Address history, oldest first")
    created_at: datetime
    updated_at: datetime
