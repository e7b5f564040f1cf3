"""Pydantic shapes of batches and results."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.money import Vnd

BatchStatus = Literal["ready", "reporting", "complete"]
Outcome = Literal["paid", "unpaid", "returned"]


class BatchOut(BaseModel):
    id: uuid.UUID
    payroll_id: uuid.UUID
    programme: str
    period: str
    commune_code: str = Field(description="The pay point")
    district_code: str
    province_code: str
    status: BatchStatus = Field(description="`ready` (no result yet), `reporting`, `complete` (every line reported)")
    deadline: date = Field(description="Results are due by this day (the 20th of the payroll's month)")
    line_count: int
    amount: int = Field(description="Sum of the lines' totals (VND): what the pay point pays")
    paid_count: int
    paid_amount: int = Field(description="Sum of the amounts reported paid")
    unpaid_count: int
    unpaid_amount: int = Field(description="Carried to the programme's next payroll")
    returned_count: int
    returned_amount: int
    fee_percent: str = Field(description="The contract's fee in per cent (decimal string)")
    fee: int = Field(description="round(paid_amount × fee_percent / 100), half up, in whole VND")
    download: str = Field(description="Add `?format=json`, `csv` or `xlsx`")


class BatchPage(BaseModel):
    items: list[BatchOut]
    next_cursor: str | None


class ResultIn(BaseModel):
    """What the payment organisation reports for one line."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    paid_on: date | None = Field(
        None, description="paid: the day (Viet Nam); not after today, not before the batch was issued"
    )
    paid_to: Literal["beneficiary", "proxy"] | None = Field(None, description="paid: to whom")
    proxy_name: str | None = Field(None, min_length=1, max_length=200, description="paid to a proxy: the proxy's name")
    receipt_number: str | None = Field(None, min_length=1, max_length=100, description="paid: the receipt's number")
    amount: Vnd | None = Field(None, description="paid: whole VND (a JSON integer, below 2^53)")
    reason: str | None = Field(None, min_length=1, max_length=1000, description="unpaid or returned: why")
    note: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _fields_for_outcome(self) -> ResultIn:
        errors: list[str] = []
        if self.outcome == "paid":
            for name in ("paid_on", "paid_to", "receipt_number", "amount"):
                if getattr(self, name) is None:
                    errors.append(f"{name} is required when paid")
            if self.paid_to == "proxy" and not self.proxy_name:
                errors.append("proxy_name is required when paid to a proxy")
            if self.paid_to == "beneficiary" and self.proxy_name:
                errors.append("proxy_name only when paid to a proxy")
            if self.reason:
                errors.append("reason only when unpaid or returned")
        else:
            if not self.reason:
                errors.append(f"reason is required when {self.outcome}")
            for name in ("paid_on", "paid_to", "proxy_name", "receipt_number", "amount"):
                if getattr(self, name) is not None:
                    errors.append(f"{name} only when paid")
        if errors:
            raise ValueError("; ".join(errors))
        return self


class LineResultIn(ResultIn):
    line_id: uuid.UUID


class ResultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    results: list[LineResultIn] = Field(min_length=1, max_length=10_000)


class ItemOut(BaseModel):
    line_id: uuid.UUID
    status: Literal["recorded", "unchanged", "conflict", "unknown_line"] = Field(
        description=(
            "`recorded`: the first result for the line; `unchanged`: the same result was recorded before; `conflict`: "
            "another result was recorded before (it stands; an exception is raised for an officer); `unknown_line`: "
            "no line of this batch (an exception is raised)"
        )
    )
    exception_kinds: list[str] = Field(default_factory=list)


class ResultsOut(BaseModel):
    batch_id: uuid.UUID
    recorded: int
    unchanged: int
    conflicts: int
    unknown_lines: int
    exceptions: int = Field(description="Exceptions raised by this report (see `GET /payments/exceptions`)")
    items: list[ItemOut] = Field(
        description="Lines whose status is not `recorded`, and recorded lines that raised an "
        "exception (an amount paid other than the line's)"
    )
    batch: BatchOut


class StoredResultOut(BaseModel):
    line_id: uuid.UUID
    outcome: Outcome
    paid_on: date | None
    paid_to: str | None
    proxy_name: str | None
    receipt_number: str | None
    amount: int | None
    reason: str | None
    note: str | None
    reported_at: datetime
    reported_by: str
