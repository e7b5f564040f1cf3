from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class ProposalIn(BaseModel):
    """``child_protection.child.insurance_proposed.v1`` as insurance reads it: the case fields are ignored (insurance
    never learns why a child was proposed)."""

    person_id: uuid.UUID
    date_of_birth: date
    commune_code: str
    district_code: str
    province_code: str


class ProposalStatus(StrEnum):
    CARD = "card"
    """A card is in force: nothing to do."""
    ON_LIST = "on_list"
    """On a list sent to BHXH, waiting for its result."""
    TO_ENROL = "to_enrol"
    """Entitled to TE (or another group) without a card: the next period's list enrols the child."""
    DECIDING = "deciding"
    """Facts changed a moment ago: the decision worker decides within a second or so."""
    NOT_REGISTERED = "not_registered"
    """Insurance has no birth registration of the child from the registry (TE starts from it): an officer checks
    the registry record."""
    NOT_ENTITLED = "not_entitled"
    """Known, but entitled to no card (6 or older, or died)."""


class ProposalOut(BaseModel):
    person_id: uuid.UUID
    date_of_birth: date
    commune_code: str
    district_code: str
    province_code: str
    proposed_at: datetime
    proposals: int = Field(description="How many times child protection proposed the child (the first stands)")
    status: ProposalStatus


class ProposalPage(BaseModel):
    items: list[ProposalOut]
    next_cursor: str | None
