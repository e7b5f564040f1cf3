"""What payments expects in the registry events it consumes (its own copy of the contract: services never
import each other). Unknown fields are ignored, so the registry may add fields without breaking payments."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from common.money import Vnd
from common.types import Month


class SchedulePeriodIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    first: Month = Field(alias="from")
    last: Month | None = Field(None, alias="to")
    amount: Vnd
    category: str
    coefficient: Decimal
    standard_level: int
    categories: list[str] = []


class EntitlementsChangedIn(BaseModel):
    """``registry.beneficiary.entitlements_changed.v1``: the beneficiary's facts and schedule from
    ``computed_from``; months from then on that are in no period are owed nothing."""

    beneficiary_id: uuid.UUID
    person_id: uuid.UUID
    version: int
    status: str = Field(description="active, suspended, terminated or deceased")
    full_name: str
    national_id: str | None = None
    date_of_birth: date
    sex: str
    death_date: date | None = None
    commune_code: str
    district_code: str = ""
    province_code: str
    household_id: uuid.UUID | None = None
    computed_from: Month
    computed_to: Month
    periods: list[SchedulePeriodIn]


class PovertyStatusChangedIn(BaseModel):
    """``registry.household.poverty_status_changed.v1``."""

    household_id: uuid.UUID
    status: str
    valid_from: date
    document: str = ""
    commune_code: str
    district_code: str = ""
    province_code: str


class PeriodOut(BaseModel):
    first: str = Field(description="YYYY-MM")
    last: str | None = Field(description="YYYY-MM; null: open-ended")
    amount: int
    category: str
    coefficient: str
    standard_level: int
    categories: list[str]


class BeneficiaryOut(BaseModel):
    """What payments knows of a registry beneficiary (its copy, built from registry events)."""

    id: uuid.UUID
    person_id: uuid.UUID
    version: int
    status: str
    full_name: str
    national_id: str | None
    date_of_birth: date
    sex: str
    death_date: date | None
    commune_code: str
    district_code: str
    province_code: str
    household_id: uuid.UUID | None
    periods: list[PeriodOut]


class PersonMergedIn(BaseModel):
    """``registry.person.merged.v1``: the record ``person_id`` was merged into ``survivor_id``."""

    person_id: uuid.UUID
    survivor_id: uuid.UUID


class BeneficiaryCounts(BaseModel):
    total: int = Field(description="Beneficiaries in payments' copy, within the client's areas")
    by_status: dict[str, int] = Field(description="The same by status (`active`, `suspended`, `deceased`, …)")
