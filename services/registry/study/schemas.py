"""Request and response bodies of the study-periods API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..rules.months import Month
from ..rules.text import SpacedLine, SpacedOneLine

StudyKind = Literal["school", "vocational", "university"]
Text = Annotated[SpacedLine, Field(max_length=300)]
Document = Annotated[
    SpacedOneLine,
    Field(
        min_length=1,
        max_length=300,
        examples=["Giấy xác nhận số 45/XN-THPT ngày 05/09/2024 của Trường THPT Phạm Thái Bường"],
    ),
]


class StudyPeriodIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "kind": "school",
                    "from": "2024-09",
                    "to": "2027-05",
                    "institution": "Trường THPT Phạm Thái Bường",
                    "document": "Giấy xác nhận số 45/XN-THPT ngày 05/09/2024",
                }
            ]
        },
    )

    kind: StudyKind = Field(
        description="`school` (general education), `vocational` (vocational training) or `university` (a first degree)"
    )
    from_: Month = Field(alias="from", description="First month studied (YYYY-MM); not after the current month")
    to: Month | None = Field(
        None,
        description="Last month studied (YYYY-MM), e.g. the end of the school year the "
        "document certifies; null while still studying",
    )
    institution: Text = ""
    document: Document = Field(
        description="The certifying document: the school's confirmation or the enrolment decision, with number and date"
    )

    @model_validator(mode="after")
    def _ordered(self) -> StudyPeriodIn:
        if self.to is not None and self.to < self.from_:
            raise ValueError("to must not be before from")
        return self


class StudyPeriodPatch(BaseModel):
    """A correction (JSON merge patch): only the fields sent change; `to: null` reopens the period."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: StudyKind | None = None
    from_: Month | None = Field(None, alias="from")
    to: Month | None = None
    institution: Text | None = None
    document: Document | None = None
    reason: Annotated[
        SpacedOneLine,
        Field(min_length=1, max_length=500, description="Why it is corrected (kept in history)"),
    ]


class StudyPeriodOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: uuid.UUID
    person_id: uuid.UUID
    kind: str
    from_: Month = Field(alias="from")
    to: Month | None
    institution: str
    document: str
    version: int
    withdrawn: bool = Field(description="Recorded in error and withdrawn: it counts no more")
    created_at: datetime
    updated_at: datetime


class StudyPeriodList(BaseModel):
    items: list[StudyPeriodOut] = Field(description="By first month; withdrawn periods included, flagged")
