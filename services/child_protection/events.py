"""Events the child protection service publishes (its catalogue); what it consumes is in ``consumers.py``.

Case data is the most sensitive data of the platform: these events carry identifiers, codes, statuses, amounts
and counts — never a name, a narrative or where a child lives.
"""

import uuid
from datetime import date, datetime

from pydantic import BaseModel

from common.events.service import ServiceEvents

from .models import EVENT_TABLES

EVENTS = ServiceEvents("child_protection", EVENT_TABLES)

CASE_OPENED = "child_protection.case.opened.v1"
CASE_STEP = "child_protection.case.step_taken.v1"
DEADLINE_ALERTS = "child_protection.deadlines.alerts.v1"
SUPPORT_REQUESTED = "child_protection.support.payment_requested.v1"
INSURANCE_PROPOSED = "child_protection.child.insurance_proposed.v1"
ALLOWANCE_REFERRED = "child_protection.child.allowance_referred.v1"
PLACEMENT_RECORDED = "child_protection.placement.recorded.v1"
PLACEMENT_ENDED = "child_protection.placement.ended.v1"


class _Area(BaseModel):
    commune_code: str
    district_code: str
    province_code: str


@EVENTS.catalogue.register(CASE_OPENED)
class CaseOpened(_Area):
    """A report was received (Form 01) and a case opened for the child (`child_id`; `person_id` when the child
    is identified in the registry). `source`: `hotline_111`, `police`, `school`, `community`, `labour_office`.
    Emergency action is due by `emergency_action_due` (12 hours after `reported_at`)."""

    case_id: uuid.UUID
    case_number: str
    child_id: uuid.UUID
    person_id: uuid.UUID | None
    source: str
    reported_at: datetime
    emergency_action_due: datetime


@EVENTS.catalogue.register(CASE_STEP)
class CaseStepTaken(_Area):
    """A case took a step of Decree 56/2017 (`action`, the `form` it records): its status went from
    `from_status` to `to_status`; `version` is the case's new version."""

    case_id: uuid.UUID
    case_number: str
    child_id: uuid.UUID
    action: str
    form: str | None
    from_status: str | None
    to_status: str
    version: int


class StepCount(BaseModel):
    step: str
    overdue: int
    due_soon: int


@EVENTS.catalogue.register(DEADLINE_ALERTS)
class DeadlineAlerts(_Area):
    """The daily deadline alert of one commune on `day` (published once a day by the deadline job): how many
    time limits are overdue and how many fall due within `due_soon_hours`, per step (`emergency_action`,
    `plan_draft`, `plan_approval`, `separation_decision`, `separation_end`, `carer_report`). Counts only: the
    lists are at `GET /child-protection/deadlines/overdue` and `/due-soon`."""

    day: date
    overdue: int
    due_soon: int
    due_soon_hours: int
    steps: list[StepCount]


@EVENTS.catalogue.register(SUPPORT_REQUESTED)
class SupportPaymentRequested(_Area):
    """A support item of an approved plan (`kind`: `scholarship`, `gift`, `surgery`; `funding`: `provincial`
    or `charity`, from `sponsor`) is to be paid: `amount` whole VND at the pay point of `commune_code`, to the
    carer named in case file `case_number` (names never travel in events). Payments creates one one-off payment
    whose id is `support_item_id` (a repeated event pays once) and reports the line's outcome
    (`payments.line.paid.v1` / `payments.line.unpaid.v1` with `one_off_payment_id`)."""

    support_item_id: uuid.UUID
    case_id: uuid.UUID
    case_number: str
    kind: str
    funding: str
    sponsor: str
    amount: int
    approved_by: str


@EVENTS.catalogue.register(INSURANCE_PROPOSED)
class InsuranceProposed(_Area):
    """A child identified in a case (`person_id`), under 6 and without a health-insurance card, is proposed for a
    TE card (children under 6, 100% state-funded). `date_of_birth` fixes the card's validity."""

    child_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID | None
    case_number: str | None
    date_of_birth: date


@EVENTS.catalogue.register(ALLOWANCE_REFERRED)
class AllowanceReferred(_Area):
    """A case worker referred a child (`person_id`) to the registry for the monthly social allowance as an
    application draft: `category` `5.1` (orphan, no one to rely on) or `5.3` (child with HIV in a poor
    household), with the case number as the application's source."""

    child_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    case_number: str
    category: str
    referred_by: str


@EVENTS.catalogue.register(PLACEMENT_RECORDED)
class PlacementRecorded(_Area):
    """A child (`child_id`) was placed in alternative care: `kind` `kinship`, `foster`, `adoption` or
    `facility`, from `starts_on`; the carer's first report is due on `first_report_due`. `foster_allowance` is
    true for a foster family caring for a child of allowance category 5.1 (orphaned, abandoned, no one to rely
    on): the carer is paid 2.5 × the standard level a month while the child is under 4, 1.5 × from 4 (Decree
    20/2021 Art 20); `child_date_of_birth` fixes the change of rate and the end at 16. Payments pays the carer
    through its `foster_care` programme, the placement (`placement_id`) being the recipient: no name travels, the
    pay point pays the carer named in the placement decision of case file `case_number` (null without a case).
    Published again for the same `placement_id` when the child's groups or date of birth change (the terms as they
    are now; `first_report_due` stays the first report's day): apply it as an upsert."""

    placement_id: uuid.UUID
    child_id: uuid.UUID
    person_id: uuid.UUID | None
    case_id: uuid.UUID | None
    case_number: str | None = None
    kind: str
    starts_on: date
    first_report_due: date
    foster_allowance: bool
    child_date_of_birth: date | None


@EVENTS.catalogue.register(PLACEMENT_ENDED)
class PlacementEnded(_Area):
    """A placement ended on `ends_on` (the last day of care); a foster allowance stops after that month."""

    placement_id: uuid.UUID
    child_id: uuid.UUID
    kind: str
    ends_on: date
