"""Request and response bodies of the possible-duplicates API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..persons.schemas import PersonOut
from ..rules.text import OneLine

Status = Literal["open", "dismissed", "merged", "superseded"]
Rule = Literal["name_birth_date_commune", "name_birth_year_household"]


class PossibleDuplicateOut(BaseModel):
    id: uuid.UUID
    status: Status = Field(
        description="`open` until an officer merges or dismisses it; `superseded` when one of "
        "the two records was merged with a third"
    )
    rules: list[Rule] = Field(
        description="Why the pair was flagged: the same name (without diacritics) and date "
        "of birth in one commune, and/or the same name and birth year in one "
        "household"
    )
    persons: list[PersonOut] = Field(description="The two records, oldest id first")
    survivor_id: uuid.UUID | None = Field(None, description="merged: the record that was kept")
    note: str = Field("", description="Why it was dismissed or merged")
    created_at: datetime
    created_by: str = Field(description="The client whose registration, import or household change flagged it")
    resolved_at: datetime | None = None
    resolved_by: str | None = None


class PossibleDuplicatePage(BaseModel):
    items: list[PossibleDuplicateOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last")


class Dismiss(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: OneLine = Field(
        min_length=1, max_length=500, description="Why these are two different people (kept in the pair's history)"
    )


class Merge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    survivor_id: uuid.UUID = Field(description="The record to keep: one of the pair's two")
    reason: OneLine = Field(
        min_length=1,
        max_length=500,
        description="Why they are one person (kept in the history of the pair and of both records)",
    )


class MergeOut(BaseModel):
    duplicate: PossibleDuplicateOut
    survivor: PersonOut
    merged: PersonOut = Field(description="The record merged away: kept, with its history, and `merged_into`")
    moved: dict[str, int] = Field(
        description="Rows moved to the survivor: applications, beneficiaries, decisions "
        "(of the beneficiary that moved), household_memberships, residencies, "
        "study_periods"
    )
