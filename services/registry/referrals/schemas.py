from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..beneficiaries.schemas import ApplicationOut
from ..rules.text import NonBlankProse, Prose

REFERRED_CATEGORIES = ("5.1", "5.3")


class ReferralIn(BaseModel):
    """``child_protection.child.allowance_referred.v1`` as the registry reads it (unknown fields ignored)."""

    person_id: uuid.UUID
    case_id: uuid.UUID
    case_number: str = Field(min_length=1, max_length=64)
    category: Literal["5.1", "5.3"]
    referred_by: str = Field(min_length=1, max_length=200)


class DraftOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    category: str = Field(description="`5.1` (no one to rely on) or `5.3` (child with HIV in a poor household)")
    source: str = Field(description="Child protection's case number the referral came from")
    referred_by: str
    received_at: datetime
    status: Literal["draft", "submitted", "dismissed"]
    application_id: uuid.UUID | None = Field(description="The application it became (`submitted`)")
    decided_by: str | None
    decided_at: datetime | None
    dismiss_reason: str | None


class DraftPage(BaseModel):
    items: list[DraftOut]
    next_cursor: str | None


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[Prose, Field(max_length=2000)] = ""


class SubmittedOut(BaseModel):
    draft: DraftOut
    application: ApplicationOut


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: NonBlankProse = Field(min_length=1, max_length=2000, description="Why no application is made")
