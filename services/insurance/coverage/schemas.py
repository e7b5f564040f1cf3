"""Pydantic shapes of the coverage check."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class CoverageOut(BaseModel):
    """Whether a card is valid on the day; never a name, an address or a card number."""

    on: date
    covered: bool
    group: str | None = Field(description="TE, BT, HN, CN, GB, HS or SV; null when not covered")
    benefit_level: int | None = Field(description="1 pays the most; null when not covered")
    valid_from: date | None
    valid_to: date | None = Field(description="Last day of validity; null: open")
