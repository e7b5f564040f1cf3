"""Pydantic shapes of the contributions report."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TotalOut(BaseModel):
    group: str | None = None
    period: str | None = Field(None, description="YYYY-MM")
    commune_code: str | None = None
    district_code: str | None = Field(
        None,
        description="The old (pre-2025) district: the one recorded with the "
        "card's person, or for a person recorded in a 2025 commune the "
        "old district its communes came from (two codes joined by "
        "'+', e.g. 842+847, for the three new communes formed across "
        "two old districts); '' for a commune outside the mapping",
    )
    district_name: str | None = Field(None, description="The old district's name (names joined by ' + ')")
    card_months: int
    total: int = Field(description="VND: 4.5% × base salary per card and month, household scheme applied")
    state: int = Field(description="VND paid by the state budget")
    household: int = Field(description="VND paid by the household (part-funded groups)")


class ReportOut(BaseModel):
    first: str
    last: str
    by: list[str]
    totals: list[TotalOut]
    grand_total: TotalOut
