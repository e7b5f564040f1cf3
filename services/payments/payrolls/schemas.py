"""Pydantic shapes of payrolls and their lines."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

State = Literal["generated", "reviewed", "approved", "locked"]


class PayrollIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    programme: str = Field(examples=["monthly_allowance"])
    period: str = Field(
        max_length=7,
        examples=["2026-03"],
        description="`YYYY-MM` for monthly programmes, `YYYY-Qn` for quarterly ones (electricity)",
    )


class ControlTotals(BaseModel):
    line_count: int
    amount: int = Field(description="Sum of the lines' totals (VND): what the payroll pays")
    regular: int
    arrears: int
    recovery: int = Field(description="Negative: amounts paid before for months nothing (or less) was owed")
    carried: int
    to_recover: int = Field(
        description="Recoveries larger than what their line pays, left to recover outside the "
        "payroll; amount = regular + arrears + recovery + carried + to_recover "
        "− to_recover_offset"
    )
    to_recover_offset: int = Field(
        default=0,
        description="What the lines withhold against their recipients' open "
        "to_recover balances (amounts left to recover by earlier "
        "payrolls)",
    )


class PayrollOut(BaseModel):
    id: uuid.UUID
    programme: str
    period: str
    state: State
    version: int
    accounting_from: str = Field(description="First month settled: arrears and recoveries never reach before it")
    totals: ControlTotals
    generated_at: datetime
    generated_by: str
    reviewed_at: datetime | None
    reviewed_by: str | None
    approved_at: datetime | None
    approved_by: str | None
    locked_at: datetime | None
    locked_by: str | None
    lines: str = Field(description="Where to read the lines")


class PayrollPage(BaseModel):
    items: list[PayrollOut]
    next_cursor: str | None


class LineMonthOut(BaseModel):
    month: str
    kind: Literal["regular", "arrears", "recovery"]
    entitled: int = Field(description="What the recipient is entitled to for that month")
    allocated: int = Field(description="What approved payrolls issued for that month before this one")
    amount: int = Field(description="entitled − allocated: what this line settles for that month")


class LineOut(BaseModel):
    id: uuid.UUID
    recipient_id: uuid.UUID
    beneficiary_id: uuid.UUID | None
    person_id: uuid.UUID | None
    household_id: uuid.UUID | None
    one_off_payment_id: uuid.UUID | None
    recipient_name: str | None
    national_id: str | None
    commune_code: str
    district_code: str
    province_code: str
    regular: int
    arrears: int
    recovery: int
    carried: int
    total: int = Field(description="max(0, regular + arrears + recovery + carried) − to_recover_offset: never negative")
    to_recover: int
    to_recover_offset: int = Field(
        default=0,
        description="The part of the recipient's open to_recover balance "
        "(left by earlier payrolls) this line withholds: never more "
        "than it would pay",
    )
    months: list[LineMonthOut]


class LinePage(BaseModel):
    items: list[LineOut]
    next_cursor: str | None
