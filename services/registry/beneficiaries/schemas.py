"""Request and response bodies of the beneficiaries API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..rules.months import Month
from ..rules.text import Line, OneLine, Prose

Text = Annotated[OneLine, Field(min_length=1, max_length=500)]
Category = Annotated[str, Field(min_length=1, max_length=20, examples=["5.5a"])]


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID
    categories: list[Category] = Field(
        min_length=1, max_length=10, description="Category codes, each a code of the category rules"
    )
    note: Annotated[Prose, Field(max_length=2000)] = ""


class ApplicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    categories: list[str]
    status: Literal["submitted", "approved", "rejected"]
    note: str
    submitted_by: str
    submitted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: Text = Field(examples=["123/QĐ-UBND"], description="Number of the approval decision")
    signed_on: date
    authority: Text = Field(
        examples=["Chủ tịch UBND huyện Châu Thành"],
        description="Who signed it (data: district chairman before 2025-07-01, commune after)",
    )
    effective_month: Month = Field(description="YYYY-MM: the month the allowance starts (normally the month signed)")


MAX_BULK_APPROVALS = 1000
"""Items of one bulk approval request."""


class BulkApprovalItem(Approval):
    application_id: uuid.UUID | None = Field(default=None, description="The submitted application to approve")
    person_id: uuid.UUID | None = Field(
        default=None, description="Or the person whose single submitted application to approve (after an import)"
    )

    @model_validator(mode="after")
    def _one_reference(self) -> BulkApprovalItem:
        if (self.application_id is None) == (self.person_id is None):
            raise ValueError("give exactly one of application_id and person_id")
        return self


class BulkApproval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BulkApprovalItem] = Field(min_length=1, max_length=MAX_BULK_APPROVALS)


class BulkApprovalResult(BaseModel):
    index: int = Field(description="Position of the item in the request (from 0)")
    status: int = Field(description="201 when approved, else the status of the item's problem")
    application_id: uuid.UUID | None
    person_id: uuid.UUID | None
    beneficiary_id: uuid.UUID | None = None
    problem: dict[str, object] | None = Field(
        default=None, description="RFC 9457 problem of a refused item (fields named `body.items.<index>.<field>`)"
    )


class BulkApprovalOut(BaseModel):
    approved: int
    refused: int
    items: list[BulkApprovalResult]


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text


DecisionKind = Literal["change_category", "suspend", "reinstate", "terminate", "record_death"]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: DecisionKind
    number: Annotated[Line, Field(max_length=200)] = ""
    signed_on: date | None = None
    authority: Annotated[Line, Field(max_length=500)] = ""
    effective_month: Month | None = Field(
        None,
        description="YYYY-MM. Suspend/reinstate/change_category: first month "
        "affected; terminate: first month no longer paid. Not used for "
        "record_death (nothing is owed from the month after the death).",
    )
    categories: list[Category] | None = Field(None, max_length=10, description="change_category only")
    reason: Annotated[Prose, Field(max_length=2000)] = ""
    death_date: date | None = Field(None, description="record_death only")

    @model_validator(mode="after")
    def _fields_for_kind(self) -> DecisionIn:
        errors: list[str] = []
        if self.kind == "record_death":
            if self.death_date is None:
                errors.append("death_date is required for record_death")
        elif self.effective_month is None:
            errors.append(f"effective_month is required for {self.kind}")
        if self.kind in ("suspend", "terminate") and not self.reason.strip():
            errors.append(f"reason is required for {self.kind}")
        if self.kind == "change_category" and not self.categories:
            errors.append("categories are required for change_category")
        if errors:
            raise ValueError("; ".join(errors))
        return self


class DecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    number: str
    signed_on: date | None
    authority: str
    effective_month: Month
    categories: list[str] | None
    reason: str
    death_date: date | None
    decided_by: str
    recorded_at: datetime


class DecisionState(BaseModel):
    status: Literal["active", "suspended", "terminated", "deceased"]
    categories: list[str] = Field(description="The categories in force (latest approval or category change)")


class DecisionHistoryItem(DecisionOut):
    """A decision with the beneficiary's version, status and categories before and after it."""

    version: int = Field(description="The beneficiary's version once the decision was recorded (its ETag then)")
    before: DecisionState | None = Field(description="Null for the approval, which created the beneficiary")
    after: DecisionState


class DecisionPage(BaseModel):
    items: list[DecisionHistoryItem]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last page")


class BeneficiaryOut(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    application_id: uuid.UUID
    status: Literal["active", "suspended", "terminated", "deceased"]
    version: int
    categories: list[str]
    decisions: list[DecisionOut]


class CountedChildOut(BaseModel):
    person_id: uuid.UUID
    full_name: str
    basis: Literal["child", "studying"] = Field(
        description="`child`: under 16 (through the 16th-birthday month); `studying`: 16-22 and studying that month"
    )


class LineOut(BaseModel):
    category: str
    coefficient: str = Field(description="For 5.4: 1.0 × the number of children counted")
    standard_level: int
    amount: int
    legal_basis: str
    children: int | None = Field(None, description="5.4: the number of children counted that month")
    children_counted: list[CountedChildOut] = Field(
        default_factory=list, description="5.4: the children of the parent's household counted that month, and why"
    )


class MonthOut(BaseModel):
    month: Month
    amount: int
    category: str | None = Field(description="The category paid (the first line when several are paid)")
    coefficient: str | None
    standard_level: int | None
    legal_basis: str | None
    reason: str | None = Field(description="Why nothing is payable (set exactly when amount is 0)")
    detail: str
    lines: list[LineOut]


class EntitlementsOut(BaseModel):
    beneficiary_id: uuid.UUID
    from_month: Month = Field(alias="from")
    to_month: Month = Field(alias="to")
    total: int
    months: list[MonthOut]

    model_config = ConfigDict(populate_by_name=True)


class BeneficiarySummary(BaseModel):
    """A beneficiary in a search result: its person's identity and area, current categories and household
    poverty status today."""

    id: uuid.UUID
    person_id: uuid.UUID
    full_name: str
    date_of_birth: date
    sex: str
    commune_code: str
    district_code: str
    province_code: str
    status: Literal["active", "suspended", "terminated", "deceased"]
    categories: list[str]
    poverty_status: str | None = Field(description="The current poverty status of the person's household")
    version: int


class BeneficiaryPage(BaseModel):
    items: list[BeneficiarySummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class PaidMonth(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: Month
    amount: int = Field(ge=0, le=10**12, description="VND paid for that month (all payments for it together)")


class ArrearsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_month: Month = Field(alias="from", description="First month to settle, YYYY-MM")
    to_month: Month = Field(alias="to", description="Last month to settle, YYYY-MM (at most 120 months)")
    paid: list[PaidMonth] = Field(
        max_length=120, description="What was paid per month of the range; a month left out was paid nothing"
    )


class ArrearsMonth(BaseModel):
    month: Month
    entitled: int
    paid: int
    difference: int = Field(description="entitled − paid: positive is arrears to pay, negative money to recover")
    kind: Literal["arrears", "recovery"] | None
    reason: str | None = Field(description="Why nothing was owed that month (`deceased`, `suspended`, …)")


class ArrearsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    beneficiary_id: uuid.UUID
    from_month: Month = Field(alias="from")
    to_month: Month = Field(alias="to")
    entitled: int
    paid: int
    to_pay: int = Field(description="Truy lĩnh: the sum of the positive differences, paid in the next payroll")
    to_recover: int = Field(description="Thu hồi: the sum of the negative differences, as a positive number")
    months: list[ArrearsMonth]
