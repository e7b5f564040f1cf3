"""Pydantic shapes of one-off payments."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from common.money import PositiveVnd
from common.types import Month
from common.units import COMMUNE_CODE, CommuneOnly


class OneOffIn(CommuneOnly):
    model_config = ConfigDict(extra="forbid")

    programme: str = Field(
        examples=["funeral"], description="A one-off programme: funeral, longevity, emergency or service_request"
    )
    person_id: uuid.UUID | None = Field(None, description="The registry person, when known")
    beneficiary_id: uuid.UUID | None = Field(None, description="The registry beneficiary, when there is one")
    recipient_name: str = Field(min_length=1, max_length=200, examples=["Nguyễn Thị Lan"])
    national_id: str | None = Field(None, pattern=r"^\d{12}$")
    commune_code: str = Field(
        pattern=COMMUNE_CODE,
        examples=["29242"],
        description="The pay point: a commune in force today (5-digit code). The district and "
        "the province are derived from it (do not send them)",
    )
    amount: PositiveVnd = Field(
        description="Whole VND (a JSON integer), at most the programme's `max_amount` in force this month"
    )
    reason: str = Field(min_length=1, max_length=1000)
    requested_by: str = Field(
        min_length=1,
        max_length=200,
        examples=["child_protection case 2026-0042"],
        description="Who asked for it: an office, a decision, another service's case",
    )
    period_from: Month | None = Field(None, description="Not paid in a payroll before this month")


class OneOffOut(BaseModel):
    id: uuid.UUID
    programme: str
    person_id: uuid.UUID | None
    beneficiary_id: uuid.UUID | None
    recipient_name: str
    national_id: str | None
    commune_code: str
    district_code: str
    province_code: str
    amount: int
    reason: str
    requested_by: str
    period_from: str | None
    status: str = Field(description="`pending` until an approved payroll issues it, then `issued`")
    payroll_id: uuid.UUID | None
    created_at: datetime
    created_by: str


class SupportRequestIn(BaseModel):
    """``child_protection.support.payment_requested.v1`` as payments reads it (unknown fields ignored)."""

    support_item_id: uuid.UUID
    case_number: str
    kind: str
    funding: str
    sponsor: str
    amount: int = Field(gt=0)
    commune_code: str
    district_code: str
    province_code: str
