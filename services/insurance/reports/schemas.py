"""Pydantic shapes of the insurance year-end report."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class Figures(BaseModel):
    cards_in_force: int = Field(description="Cards valid on `as_of`")
    cards_valid: int = Field(description="Cards valid on at least one day from 1 January to `as_of`")
    card_months: int = Field(description="Months of validity of the cards in the months `first`..`last`")
    cost: int = Field(description="VND: what those card-months cost (4.5% × base salary, household scheme)")
    state: int = Field(description="VND paid by the state budget")
    household: int = Field(description="VND paid by the households (part-funded groups)")


class GroupRow(Figures):
    group: str
    name: str


class UnitRow(Figures):
    code: str = Field(description="Old district (`units=recorded`) or 2025 commune (`units=2025`)")
    name: str
    note: str = ""


class CardsReport(BaseModel):
    year: int
    as_of: date = Field(description="31 December, or today for the current year")
    first: str = Field(description="First month costed (YYYY-MM)")
    last: str = Field(description="Last month costed (YYYY-MM): December, or the current month")
    units: Literal["recorded", "2025"]
    by: Literal["district", "commune"]
    groups: list[GroupRow]
    rows: list[UnitRow]
    total: Figures
