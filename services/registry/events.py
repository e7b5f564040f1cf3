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


BENEFICIARY_APPROVED = "registry.beneficiary.approved.v1"
BENEFICIARY_SUSPENDED = "registry.beneficiary.suspended.v1"
BENEFICIARY_REINSTATED = "registry.beneficiary.reinstated.v1"
BENEFICIARY_TERMINATED = "registry.beneficiary.terminated.v1"


@EVENTS.catalogue.register(BENEFICIARY_APPROVED)
class BeneficiaryApproved(BaseModel):
    """An application was approved (by a client other than the one that submitted it): the person is a
    beneficiary of the monthly social allowance under `categories` from `effective_month` (``YYYY-MM``).
    Carries what payments and insurance need: date of birth and the person's areas."""

    beneficiary_id: uuid.UUID
    person_id: uuid.UUID
    categories: list[str]
    effective_month: str
    decision_number: str
    date_of_birth: date
    commune_code: str
    district_code: str
    province_code: str


@EVENTS.catalogue.register(BENEFICIARY_SUSPENDED)
class BeneficiarySuspended(BaseModel):
    """Payments to a beneficiary are suspended from `effective_month` (``YYYY-MM``) until reinstated."""

    beneficiary_id: uuid.UUID
    person_id: uuid.UUID
    effective_month: str
    reason: str
    commune_code: str
    district_code: str
    province_code: str


@EVENTS.catalogue.register(BENEFICIARY_REINSTATED)
class BeneficiaryReinstated(BaseModel):
    """A suspended beneficiary is paid again from `effective_month` (``YYYY-MM``)."""

    beneficiary_id: uuid.UUID
    person_id: uuid.UUID
    effective_month: str
    commune_code: str
    district_code: str
    province_code: str


@EVENTS.catalogue.register(BENEFICIARY_TERMINATED)
class BeneficiaryTerminated(BaseModel):
    """A beneficiary's allowance ends: nothing is owed from `effective_month` (``YYYY-MM``, the month after
    the last month paid). A recorded death publishes this event with `reason` ``"death"`` and `death_date`;
    money paid for months from `effective_month` on is to be recovered."""

    beneficiary_id: uuid.UUID
    person_id: uuid.UUID
    effective_month: str
    reason: str
    death_date: date | None = None
    commune_code: str
    district_code: str
    province_code: str
