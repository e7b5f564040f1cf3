from __future__ import annotations

from pydantic import BaseModel, Field

from ..rules.units import Level, Scheme


class ReportRow(BaseModel):
    province_code: str = Field(description="The unit's province: a reused code is told apart by it (old 84, new 86)")
    code: str = Field(description="The unit's code (empty for records of units without a district)")
    name: str
    beneficiaries: int = Field(description="Beneficiaries with an amount payable in the month")
    amount: int = Field(description="Total payable for the month, VND")
    suspended: int = Field(description="Beneficiaries suspended in the month (nothing payable)")
    categories: dict[str, int] = Field(
        description="Beneficiaries paid under each category (one person may "
        "count under several when the categories are cumulative)"
    )
    recorded_codes: list[str] = Field(description="The codes as recorded that were counted in this row")
    note: str = Field("", description="Why records could not be moved to a 2025 unit, if any")


class Totals(BaseModel):
    beneficiaries: int
    amount: int
    suspended: int


class BeneficiaryReport(BaseModel):
    month: str
    by: Level
    units: Scheme
    rows: list[ReportRow] = Field(description="One row per unit, ordered by province code then code")
    total: Totals


class LongevityPerson(BaseModel):
    person_id: str
    full_name: str
    date_of_birth: str
    sex: str
    national_id: str | None
    age: int = Field(description="The age reached in the year: 90 or 100")
    commune_code: str
    district_code: str
    province_code: str


class LongevityList(BaseModel):
    year: int
    alive_on: str = Field(description="The gift date: persons who died on or before it are not listed")
    counts: dict[str, int] = Field(description='Persons listed per age reached (`"90"`, `"100"`)')
    items: list[LongevityPerson] = Field(description="Ordered by province, district, commune, birth date")
