"""Pydantic shapes of programmes and their parameters."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from common.money import MAX_SAFE_VND
from common.types import Month


class ParameterOut(BaseModel):
    name: str
    valid_from: str = Field(description="First month it applies (YYYY-MM), until the next value of the same name")
    value: str = Field(
        description='Exact decimal as a string (amounts are whole VND, e.g. "46000"; a fee in per cent, e.g. "1.2")'
    )
    legal_basis: str
    recorded_at: datetime
    recorded_by: str


class ProgrammeOut(BaseModel):
    code: str
    name: str
    kind: str = Field(
        description="Where lines come from: `schedule` (registry entitlement schedules), "
        "`electricity` (poor and social-policy households), `artisans` (artisan "
        "enrolments), `foster` (foster placements from child protection), `one_off` "
        "(one-off payments)"
    )
    frequency: str = Field(description="`monthly` (period YYYY-MM) or `quarterly` (period YYYY-Qn)")
    accounting_from: str | None = Field(
        description="Months before it were paid outside this system: never settled "
        "as arrears or recoveries. Null: from the programme's first "
        "payroll here"
    )
    accounting_basis: str
    parameter_names: list[str] = Field(description="Parameters this programme accepts")
    parameters: list[ParameterOut]


class ParameterIn(BaseModel):
    name: str = Field(examples=["amount_per_month"], max_length=50)
    valid_from: Month = Field(description="First month it applies (YYYY-MM); may be in the past")
    value: Decimal = Field(
        ge=0, le=MAX_SAFE_VND, description='Send as a string (`"46000"`, `"1.2"`): exact, never a float'
    )
    legal_basis: str = Field(min_length=3, max_length=500, examples=["Quyết định 28/2014/QĐ-TTg; QĐ UBND tỉnh"])


class AccountingIn(BaseModel):
    accounting_from: Month = Field(description="YYYY-MM")
    legal_basis: str = Field(min_length=3, max_length=500)
