from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from ..rules.months import Month
from ..rules.parameters import DisabilityLevel
from ..rules.text import OneLine


class StandardLevelIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"valid_from": "2026-07", "amount": 540000, "legal_basis": "Decree 335/2026/NĐ-CP"}]
        },
    )

    valid_from: Month = Field(description="First month it applies (YYYY-MM); may be in the past (retroactive)")
    amount: int = Field(gt=0, le=100_000_000, strict=True, description="VND per month")
    legal_basis: OneLine = Field(min_length=1, max_length=500, description="Decree or decision that sets it")


class StandardLevelOut(BaseModel):
    valid_from: Month
    amount: int
    legal_basis: str
    recorded_at: datetime
    recorded_by: str


class BandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    coefficient: Decimal = Field(ge=0, le=100, description='Exact decimal, e.g. "2.5"')
    min_age: int | None = Field(None, ge=0, le=150)
    below_age: int | None = Field(None, ge=0, le=150)
    disability_level: DisabilityLevel | None = None


class CategoryRuleIn(BaseModel):
    """A category's rule from a month; fields as in the engine's ``CategoryRule``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "5.8",
                    "valid_from": "2027-01",
                    "name": "person with HIV of a poor household",
                    "bands": [{"coefficient": "1.5"}],
                    "legal_basis": "Decree …/2026/NĐ-CP Art 5.8",
                }
            ]
        },
    )

    code: str = Field(min_length=1, max_length=20, pattern=r"^[0-9a-z.]+$", examples=["5.5a", "art25"])
    valid_from: Month
    name: OneLine = Field(min_length=1, max_length=300)
    bands: list[BandIn] = Field(
        min_length=1, max_length=20, description="First band matching the person's age/disability gives the coefficient"
    )
    legal_basis: OneLine = Field(min_length=1, max_length=500)
    min_age: int | None = Field(None, ge=0, le=150)
    last_birthday: int | None = Field(None, ge=0, le=150)
    starts_at_birthday: int | None = Field(None, ge=0, le=150)
    starts_at_certificate: bool = False
    per_child: bool = False
    requires_studying: bool = False
    continues_as: str | None = Field(None, max_length=20)
    cumulative_with: list[str] = Field(default_factory=list, max_length=20)
    verify: bool = False
    child_last_birthday: int | None = Field(
        None,
        ge=0,
        le=150,
        description="Per-child rules (5.4): a child is counted through the month of this birthday (16)",
    )
    child_studying_last_birthday: int | None = Field(
        None,
        ge=0,
        le=150,
        description="Per-child rules: in a month the child studies, counted through this birthday month (22)",
    )
    introduced: bool = Field(
        False,
        description="The category was created by this rule's law: a grant decided "
        "before its first rule pays nothing (5.5b, 5.7: Decree 20/2021)",
    )
    lookback_months: int | None = Field(
        None,
        ge=0,
        le=1200,
        description="Birthday starts (5.5c): at most this "
        "many months before the decision month; null = back to the birthday month",
    )


class CategoryRuleOut(BaseModel):
    code: str
    valid_from: Month
    legal_basis: str
    rule: dict[str, object] = Field(description="name, bands (coefficients as exact decimal strings) and flags")
    recorded_at: datetime
    recorded_by: str
