"""Response bodies of the imports API (the request body is the file itself)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["persons", "households", "applications", "study_periods"]


class ProblemOut(BaseModel):
    line: int = Field(description="Line of the CSV file, or row of the sheet; the header is line 1")
    column: str | None = Field(
        description="The column's header as written in the file; null when the problem concerns the whole row"
    )
    field: str | None = Field(description="The column's field name (e.g. `national_id`); null for the whole row")
    reason: str
    code: str | None = Field(None, description="Stable code for national ID problems (as `POST /persons` gives)")


class ImportSummary(BaseModel):
    id: uuid.UUID
    kind: Kind
    format: Literal["csv", "xlsx"]
    file_sha256: str = Field(description="SHA-256 of the file as received (hex)")
    rows: int = Field(description="Data rows read (blank rows are not counted)")
    imported: int = Field(description="Rows that created records")
    duplicates: int = Field(description="Valid rows whose record already existed (nothing was changed)")
    rejected: int = Field(description="Rows with at least one problem (nothing was imported from them)")
    possible_duplicates: int = Field(
        0,
        description="Imported records flagged as possible duplicates of other "
        "records (imported all the same; listed at "
        "`GET /registry/persons/possible-duplicates`)",
    )
    problems_total: int = Field(description="Problems found; `problems` lists the first ones")
    created_at: datetime
    created_by: str


class ImportOut(ImportSummary):
    problems: list[ProblemOut] = Field(description="The first problems found, in line order (at most 1,000)")
    problems_truncated: bool = Field(description="True when there were more problems than `problems` lists")


class ImportPage(BaseModel):
    items: list[ImportSummary]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last")
