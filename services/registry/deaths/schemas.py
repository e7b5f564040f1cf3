"""Request and response bodies of the deaths API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..rules.months import Month
from ..rules.text import OneLine


class DeathIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    death_date: date = Field(description="Not in the future (Viet Nam time), not before the date of birth")
    document: Annotated[
        OneLine, Field(min_length=1, max_length=500, examples=["Trích lục khai tử số 12/2026/TLKT-BS ngày 03/03/2026"])
    ] = Field(description="The document reporting the death (death registration extract, number and date)")


class DeathOut(BaseModel):
    person_id: uuid.UUID
    death_date: date
    document: str
    recorded_by: str
    recorded_at: datetime
    effective_month: Month = Field(
        description="YYYY-MM, the month after the month of death: nothing of the monthly allowance is owed from it on"
    )
    beneficiary_id: uuid.UUID | None = Field(
        description="The person's beneficiary, terminated by this death; null when the person is not a beneficiary"
    )
    beneficiary_status: Literal["deceased"] | None
