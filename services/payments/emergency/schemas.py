"""Pydantic shapes of emergency relief and its yearly report."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.units import COMMUNE_CODE, CommuneOnly

Kind = Literal["funeral", "injury", "house_destroyed", "house_damaged", "relocation", "food"]


class ReliefIn(CommuneOnly):
    model_config = ConfigDict(extra="forbid")

    kind: Kind = Field(
        description="`funeral` (a disaster victim's funeral), `injury` (serious injury), "
        "`house_destroyed`, `house_damaged` (serious damage), `relocation`, `food` "
        "(rice in kind)"
    )
    person_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    recipient_name: str = Field(
        min_length=1, max_length=200, description="Who receives it (the family's representative, the head of household)"
    )
    national_id: str | None = Field(None, max_length=20)
    commune_code: str = Field(
        pattern=COMMUNE_CODE,
        examples=["29242"],
        description="The pay point: a commune in force today; the district and the province "
        "are derived from it (do not send them)",
    )
    disaster: str = Field(min_length=3, max_length=300, examples=["Bão số 9 (11/2026)"])
    occurred_on: date = Field(description="The day of the disaster: the minima in force that month apply")
    amount: int | None = Field(
        None,
        gt=0,
        description="Cash, whole VND, at least the minimum of the kind (parameter `min_<kind>`); not for `food`",
    )
    persons: int | None = Field(None, ge=1, le=50, description="`food`: persons of the household")
    months: int | None = Field(None, ge=1, le=6, description="`food`: months of support")
    decision: str = Field(min_length=3, max_length=300, examples=["QĐ 45/QĐ-UBND ngày 10/11/2026"])


class ReliefOut(BaseModel):
    id: uuid.UUID
    kind: str
    person_id: uuid.UUID | None
    household_id: uuid.UUID | None
    recipient_name: str
    national_id: str | None
    commune_code: str
    district_code: str
    province_code: str
    disaster: str
    occurred_on: date
    amount: int = Field(description="Cash, VND (0 for food)")
    rice_kg: int = Field(description="Rice in kind, kg (food only)")
    persons: int | None
    months: int | None
    decision: str
    decided_on: date
    status: str = Field(description="`decided`, then `approved` by another client")
    one_off_payment_id: uuid.UUID | None = Field(description="The cash's payment, once approved")
    payment_status: str | None = Field(description="`pending` until a payroll issues it, then `issued`")
    created_by: str
    approved_by: str | None
    approved_at: datetime | None


class ReliefPage(BaseModel):
    items: list[ReliefOut]
    next_cursor: str | None


class KindTotals(BaseModel):
    kind: str
    decided: int = Field(description="Reliefs decided in the year and awaiting approval")
    approved: int = Field(description="Reliefs decided in the year and approved")
    amount_approved: int = Field(description="Cash approved, VND")
    cash_issued: int = Field(description="Cash issued to the post office by approved payrolls, VND")
    cash_paid: int = Field(description="Cash the post office reported paid, VND")
    rice_kg: int = Field(description="Rice approved in kind, kg")


class EmergencyReport(BaseModel):
    year: int
    kinds: list[KindTotals]
