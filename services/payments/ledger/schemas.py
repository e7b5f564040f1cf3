"""Pydantic shapes of ledger totals."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

By = Literal["programme", "period", "district", "commune"]


class Amounts(BaseModel):
    regular: int = 0
    arrears: int = 0
    recovery: int = Field(default=0, description="Negative")
    to_recover: int = Field(default=0, description="Recoveries larger than what their line paid, left to recover")
    to_recover_offset: int = Field(
        default=0,
        description="Negative: what later lines withheld against open "
        "to_recover balances (to_recover + to_recover_offset "
        "is what is still to recover)",
    )
    issued: int = Field(
        default=0,
        description="regular + arrears + recovery + to_recover + to_recover_offset = the "
        "sum of the payroll lines' totals less the carried amounts they took "
        "in",
    )
    paid: int = 0
    carried: int = Field(default=0, description="Unpaid amounts waiting for a payroll to carry them")
    held: int = Field(
        default=0,
        description="Unpaid amounts of suspended beneficiaries, held: paid with the first "
        "line after reinstatement, or returned to the budget on termination",
    )
    returned: int = Field(
        default=0,
        description="Money back to the budget: lines returned by the payment "
        "organisation, and held amounts of beneficiaries terminated",
    )
    recovered: int = 0
    entries: int = 0


class TotalsRow(Amounts):
    key: str = Field(description="The programme, period, district code or commune code")


class LedgerTotals(BaseModel):
    year: int
    since: int | None = Field(None, description="Cumulative totals: from January of this year (null: `year` only)")
    by: By
    programme: str | None
    rows: list[TotalsRow]
    total: Amounts
