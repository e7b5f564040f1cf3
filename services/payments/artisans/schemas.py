"""Pydantic shapes of artisan enrolments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.types import Month
from common.units import COMMUNE_CODE, CommuneOnly

from ..rules.artisans import AMOUNTS

Title = Literal["nghe_nhan_nhan_dan", "nghe_nhan_uu_tu"]


class EnrolmentIn(CommuneOnly):
    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID = Field(description="The registry person")
    recipient_name: str = Field(min_length=1, max_length=200, examples=["Nguyễn Văn Mười"])
    national_id: str = Field(pattern=r"^\d{12}$")
    commune_code: str = Field(
        pattern=COMMUNE_CODE,
        examples=["29242"],
        description="The pay point: a commune in force today (5-digit code). The district and "
        "the province are derived from it (do not send them)",
    )
    title: Title = Field(description="`nghe_nhan_nhan_dan` (people's artisan) or `nghe_nhan_uu_tu` (meritorious)")
    amount_per_month: int = Field(
        strict=True,
        examples=[1_000_000],
        description="Whole VND (a JSON integer): 1000000, 850000 or 700000 (Decree "
        "109/2015/NĐ-CP, by group and income band)",
    )
    from_month: Month = Field(
        description="First month paid (YYYY-MM); may be in the past: the next payroll pays the months owed as arrears"
    )
    to_month: Month | None = Field(None, description="Last month paid (YYYY-MM); null: until ended")
    legal_basis: str = Field(
        min_length=3,
        max_length=500,
        examples=["QĐ 15/QĐ-UBND ngày 02/03/2026"],
        description="The decision granting the allowance",
    )

    @field_validator("amount_per_month")
    @classmethod
    def _decree_amount(cls, value: int) -> int:
        if value not in AMOUNTS:
            raise ValueError(f"one of the decree's amounts: {', '.join(str(a) for a in AMOUNTS)}")
        return value


class EndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_month: Month = Field(
        description="Last month paid (YYYY-MM); may be in the past: months already "
        "paid after it are recovered by the next payroll"
    )
    legal_basis: str = Field(min_length=3, max_length=500, description="The decision ending the allowance")


class EnrolmentOut(BaseModel):
    id: uuid.UUID = Field(description="Also the `recipient_id` of the enrolment's payroll lines")
    programme: str = "artisans"
    person_id: uuid.UUID
    recipient_name: str
    national_id: str
    commune_code: str
    district_code: str
    province_code: str
    title: Title
    amount_per_month: int
    from_month: str
    to_month: str | None
    legal_basis: str
    version: int
    created_at: datetime
    created_by: str
    ended_at: datetime | None
    ended_by: str | None
    end_basis: str | None


class EnrolmentPage(BaseModel):
    items: list[EnrolmentOut]
    next_cursor: str | None
