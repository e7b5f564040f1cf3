"""What insurance expects in the registry events it consumes (its own copy of the contract: services never import
each other). Unknown fields are ignored, so the registry may add fields without breaking insurance, and fields
insurance must not keep (the beneficiary's categories, which would reveal an HIV status) are never read."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel

from common.types import Month


class Areas(BaseModel):
    commune_code: str
    district_code: str = ""
    province_code: str


class PersonRegisteredIn(Areas):
    person_id: uuid.UUID
    date_of_birth: date
    sex: str


class PersonUpdatedIn(Areas):
    person_id: uuid.UUID
    date_of_birth: date | None = None
    sex: str | None = None


class PersonDiedIn(Areas):
    person_id: uuid.UUID
    death_date: date
    date_of_birth: date


class BeneficiaryStepIn(Areas):
    """approved, suspended, reinstated, terminated and changed: the month the decision applies from."""

    beneficiary_id: uuid.UUID
    person_id: uuid.UUID
    effective_month: Month
    date_of_birth: date | None = None
    reason: str | None = None


class PovertyStatusIn(Areas):
    household_id: uuid.UUID
    status: str
    valid_from: date


class MemberJoinedIn(Areas):
    household_id: uuid.UUID
    person_id: uuid.UUID
    joined_on: date


class MemberLeftIn(Areas):
    household_id: uuid.UUID
    person_id: uuid.UUID
    left_on: date


class PersonMergedIn(Areas):
    """``registry.person.merged.v1``: the record ``person_id`` was merged into ``survivor_id`` (with the survivor's
    areas)."""

    person_id: uuid.UUID
    survivor_id: uuid.UUID
