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
