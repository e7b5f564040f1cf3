"""Pydantic shapes of longevity gifts and their yearly report."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.units import COMMUNE_CODE, CommuneOnly


class GiftIn(CommuneOnly):
    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID = Field(description="The registry's person (`GET /registry/reports/longevity`)")
    recipient_name: str = Field(min_length=1, max_length=200, examples=["Nguyễn Văn Mười"])
    national_id: str | None = Field(None, max_length=20)
    date_of_birth: date = Field(description="Decides the age reached in `year`: 90 or 100 (`422` otherwise)")
    commune_code: str = Field(
        pattern=COMMUNE_CODE,
        examples=["29242"],
        description="The pay point: a commune in force today; the district and the province "
        "are derived from it (do not send them)",
    )
    year: int = Field(ge=2000, le=2100)
    gift_date: date = Field(description="The day the gift is given, in `year`; the amounts in force that month apply")
    delivery: Literal["post_office", "in_kind"] = Field(
        description="`post_office`: the cash is a one-off payment of the `longevity` programme, paid by its payroll "
        "through the post office; `in_kind`: the commune hands the whole gift over (recorded, not paid)"
    )
    decision: str = Field(
        min_length=3,
        max_length=300,
        examples=["QĐ 120/QĐ-UBND ngày 15/01/2026"],
        description="The decision that grants the gift",
    )


class GiftOut(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    year: int
    age: int
    recipient_name: str
    national_id: str | None
    date_of_birth: date
    commune_code: str
    district_code: str
    province_code: str
    gift_date: date
    delivery: str
    cash: int = Field(description="Cash part, VND (parameter `gift_<age>_cash` in force in the gift's month)")
    in_kind_value: int | None = Field(
        description="Value of the goods, VND (parameter `gift_<age>_in_kind`); null when the province records no value"
    )
    one_off_payment_id: uuid.UUID | None = Field(description="The payment of the cash (post office delivery)")
    payment_status: str | None = Field(description="The one-off payment's status: `pending`, then `issued`")
    decision: str
    created_at: datetime
    created_by: str


class GiftPage(BaseModel):
    items: list[GiftOut]
    next_cursor: str | None


class AgeTotals(BaseModel):
    age: int
    gifts: int = Field(description="Gifts recorded for the year")
    by_post: int = Field(description="Gifts whose cash goes through the post office")
    in_kind: int = Field(description="Gifts handed over by the commune")
    cash_recorded: int = Field(description="Cash of every gift recorded, VND")
    cash_issued: int = Field(description="Cash issued to the post office by approved payrolls, VND")
    cash_paid: int = Field(description="Cash the post office reported paid, VND")
    cash_in_kind: int = Field(description="Cash handed over by the commune with in-kind gifts (recorded), VND")
    in_kind_value: int = Field(description="Value of goods recorded, VND")
    in_kind_without_value: int = Field(description="Gifts whose goods have no recorded value")


class LongevityReport(BaseModel):
    year: int
    ages: list[AgeTotals]
