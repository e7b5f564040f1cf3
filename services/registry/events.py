"""Events the registry service publishes: its catalogue, one payload model per type. The inbox handlers are in
``consumers.py``."""

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

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
    """A person's record changed. Names the changed fields (never their values), and carries the person's date of
    birth, sex and areas after the change (the fields `registry.person.registered.v1` carries); changes to
    sensitive fields alone publish nothing."""

    person_id: uuid.UUID
    version: int
    changed: list[str]
    date_of_birth: date | None = None
    sex: str | None = None
    commune_code: str
    district_code: str
    province_code: str


PERSON_MERGED = "registry.person.merged.v1"


@EVENTS.catalogue.register(PERSON_MERGED)
class PersonMerged(BaseModel):
    """An officer merged two records of one person: `person_id` (the duplicate, kept with its history, marked
    `merged_into`) into `survivor_id`. The duplicate's applications, beneficiary (with its decisions), household
    memberships, residencies, study periods and open application drafts now belong to the survivor: consumers that
    key anything by person id re-key `person_id` → `survivor_id`. `beneficiary_id` names the beneficiary that moved
    (null if none); its schedule is published again under the survivor. Carries the survivor's areas; no name or
    national ID.

    What the consumers do (each once per event, whatever order it arrives in relative to other events):
    **payments** re-keys what is current (the projection's beneficiaries, artisan enrolments still paying, gifts and
    one-off payments no payroll issued yet, reliefs not yet paid, current foster placements); a second enrolment or a
    second longevity gift of the year for the same person ends (the month before the merge) or is dropped, so nobody
    is paid twice; payroll lines, results and the ledger keep the id they were made with. **insurance** remembers the
    merge (facts still arriving for `person_id` go to the survivor; `person_id` is never decided again), moves its
    facts, pupil/student records and TE proposals to the survivor and decides it again: one card per person, history
    kept: the duplicate's card in force ends with reason `merged` when the survivor holds one (the next BHXH list
    asks to end it), otherwise it is carried to the survivor (history `carried`); list items BHXH has not answered
    that would give a second card become `withdrawn`. **child protection**: a child identified as `person_id` names
    the survivor (a second child record of the same person is left for an officer)."""

    person_id: uuid.UUID
    survivor_id: uuid.UUID
    beneficiary_id: uuid.UUID | None = None
    commune_code: str
    district_code: str
    province_code: str


PERSON_DIED = "registry.person.died.v1"


@EVENTS.catalogue.register(PERSON_DIED)
class PersonDied(BaseModel):
    """A person's death was recorded (once per person), by `POST /persons/{id}/death` or by a `record_death`
    decision on their beneficiary. Nothing of the monthly social allowance is owed from `effective_month`
    (``YYYY-MM``, the month after the month of death); money paid for later months is to be recovered. When the
    person is a beneficiary, `beneficiary_id` names it and `registry.beneficiary.terminated.v1` (reason
    ``"death"``) is published in the same transaction; otherwise `beneficiary_id` is null. Carries the date of
    birth and the person's areas; no name, national ID or document."""

    person_id: uuid.UUID
    death_date: date
    effective_month: str
    beneficiary_id: uuid.UUID | None = None
    date_of_birth: date
    commune_code: str
    district_code: str
    province_code: str


PERSON_STUDY_CHANGED = "registry.person.study_changed.v1"


@EVENTS.catalogue.register(PERSON_STUDY_CHANGED)
class PersonStudyChanged(BaseModel):
    """A person's study period was `recorded`, `corrected` or `withdrawn` (`change`): the person studies (`kind`:
    ``school``, ``vocational`` or ``university``) from `from_month` through `to_month` (``YYYY-MM``; null while
    still studying); a withdrawn period (`withdrawn` true) counts no more. `version` counts the period's changes.
    What is owed follows in `registry.beneficiary.entitlements_changed.v1` for the person (5.2) and the single
    parents of their household (5.4), with arrears when the period was recorded late. Carries the person's
    areas; no name, institution or document."""

    person_id: uuid.UUID
    study_period_id: uuid.UUID
    change: str
    version: int
    kind: str
    from_month: str
    to_month: str | None
    withdrawn: bool
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


HOUSEHOLD_MEMBER_JOINED = "registry.household.member_joined.v1"
HOUSEHOLD_MEMBER_LEFT = "registry.household.member_left.v1"


@EVENTS.catalogue.register(HOUSEHOLD_MEMBER_JOINED)
class HouseholdMemberJoined(BaseModel):
    """A person became a member of a household from `joined_on` (a household created with its members publishes
    one per member). With the household's poverty statuses, this decides a person's poor (HN), near-poor (CN) and
    farming-household (GB) health-insurance groups. Carries the household's areas; no name, no national ID."""

    household_id: uuid.UUID
    person_id: uuid.UUID
    joined_on: date
    commune_code: str
    district_code: str
    province_code: str


@EVENTS.catalogue.register(HOUSEHOLD_MEMBER_LEFT)
class HouseholdMemberLeft(BaseModel):
    """A person stopped being a member of a household: `left_on` is the first day they are no longer a member."""

    household_id: uuid.UUID
    person_id: uuid.UUID
    left_on: date
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


BENEFICIARY_CHANGED = "registry.beneficiary.changed.v1"


@EVENTS.catalogue.register(BENEFICIARY_CHANGED)
class BeneficiaryChanged(BaseModel):
    """A beneficiary's categories changed (e.g. an upgrade from 5.5a to 5.6) from `effective_month`
    (``YYYY-MM``) by the decision `decision_number`: `categories` replace `previous_categories` from that
    month. The amounts follow in the next `registry.beneficiary.entitlements_changed.v1` (arrears when the
    change is back-dated). Carries the date of birth and the person's areas."""

    beneficiary_id: uuid.UUID
    person_id: uuid.UUID
    effective_month: str
    categories: list[str]
    previous_categories: list[str]
    decision_number: str | None
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


BENEFICIARY_LEVEL_CHANGED = "registry.beneficiary.level_changed.v1"


class LevelLine(BaseModel):
    """One category paid in a month, with its coefficient (a decimal string, e.g. ``"1.5"``)."""

    category: str
    coefficient: str


@EVENTS.catalogue.register(BENEFICIARY_LEVEL_CHANGED)
class BeneficiaryLevelChanged(BaseModel):
    """A birthday changes what a beneficiary is paid from `effective_month` (``YYYY-MM``), e.g. a 5.1 child turning
    4 (2.5 → 1.5), a 5.5a elderly person turning 80 (1.5 → 2.0), 5.5c starting at 80, a 5.1 child who turns 16 and
    is not studying (nothing from the month after the birthday month).

    `effective_month` is the month the new level applies from (Decree 20/2021 Art 6-7): the birthday month for a
    new coefficient or a start, the month after it for an end by age. The registry's daily job publishes the
    changes of the current month once per beneficiary and month (re-running it publishes nothing new).
    `category`/`coefficient` are what is paid from that month (the first line when several are paid; null when
    the birthday ends the allowance, with `reason` saying why), `previous_*` what was paid before the birthday;
    `lines`/`previous_lines` list every category paid. Carries what payments and insurance need: date of birth,
    age in that month, the person's areas and the household's poverty status on the day of the run."""

    beneficiary_id: uuid.UUID
    person_id: uuid.UUID
    effective_month: str
    date_of_birth: date
    age: int
    category: str | None
    coefficient: str | None
    previous_category: str | None
    previous_coefficient: str | None
    lines: list[LevelLine]
    previous_lines: list[LevelLine]
    reason: str | None = None
    poverty_status: str | None = None
    commune_code: str
    district_code: str
    province_code: str


BENEFICIARY_ENTITLEMENTS_CHANGED = "registry.beneficiary.entitlements_changed.v1"


class SchedulePeriodOut(BaseModel):
    """Consecutive months paid the same: `from`/`to` (``YYYY-MM``, inclusive; `to` null = still paid at the
    horizon), `amount` (VND a month), the `category` paid (the first when several are), its `coefficient`
    (decimal string), the `standard_level` in force and every category paid (`categories`)."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    from_: str = Field(alias="from")
    to: str | None
    amount: int
    category: str
    coefficient: str
    standard_level: int
    categories: list[str]


@EVENTS.catalogue.register(BENEFICIARY_ENTITLEMENTS_CHANGED)
class BeneficiaryEntitlementsChanged(BaseModel):
    """What a beneficiary is owed changed: the whole schedule from `computed_from` through `computed_to`
    (``YYYY-MM``), for the payments service to keep its own copy and never ask the registry while it pays.

    Published whenever the schedule differs from the last one sent (approval, any decision, a death, an
    admission to or discharge from a centre, a corrected date of birth or disability, a study period recorded or
    corrected — also late, which brings arrears —, a child joining, leaving or dying in a single parent's (5.4)
    household, a new standard level applied retroactively) and never otherwise; `version` counts the schedules
    sent for this beneficiary, so apply one only if its version is higher than the one you hold. Months from
    `computed_from` in no period are owed nothing (before the start, suspended, after death…); months before it
    are not described.
    Age transitions (turning 4, 16, 80…) are period boundaries already. Carries the person's name and
    national ID for the payment list, the areas and the current household."""

    beneficiary_id: uuid.UUID
    person_id: uuid.UUID
    version: int
    status: str
    full_name: str
    national_id: str | None
    date_of_birth: date
    sex: str
    death_date: date | None
    commune_code: str
    district_code: str
    province_code: str
    household_id: uuid.UUID | None
    computed_from: str
    computed_to: str
    periods: list[SchedulePeriodOut]
