"""Events the registry service publishes (its catalogue) and consumes (its inbox handlers)."""

import uuid
from datetime import date

from pydantic import BaseModel

from common.events.service import ServiceEvents

from .models import EVENT_TABLES

EVENTS = ServiceEvents("registry", EVENT_TABLES)

PERSON_REGISTERED = "registry.person.registered.v1"
PERSON_UPDATED = "registry.person.updated.v1"


@EVENTS.catalogue.register(PERSON_REGISTERED)
class PersonRegistered(BaseModel):
    """A person was registered. Carries no national ID and no sensitive field (HIV status)."""

    person_id: uuid.UUID
    date_of_birth: date
    sex: str
    commune_code: str
    district_code: str
    province_code: str


@EVENTS.catalogue.register(PERSON_UPDATED)
class PersonUpdated(BaseModel):
    """A person's record changed. Names the changed fields (never their values) and the person's areas
    after the change; changes to sensitive fields alone publish nothing."""

    person_id: uuid.UUID
    version: int
    changed: list[str]
    commune_code: str
    district_code: str
    province_code: str


HOUSEHOLD_POVERTY_STATUS_CHANGED = "registry.household.poverty_status_changed.v1"


@EVENTS.catalogue.register(HOUSEHOLD_POVERTY_STATUS_CHANGED)
class HouseholdPovertyStatusChanged(BaseModel):
    """A poverty status was recorded for a household (poor, near_poor, average_living_farming or none), in
    force from `valid_from` by the deciding `document`. Statuses are never overwritten: each change is a new
    event, and the status in force on a day is the one with the latest `valid_from` on or before it. Carries
    the household's areas when the status was recorded."""

    household_id: uuid.UUID
    status: str
    valid_from: date
    document: str
    commune_code: str
    district_code: str
    province_code: str
