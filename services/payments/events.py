"""Events the payments service publishes: its catalogue, one payload model per type. The inbox handlers are in
``consumers.py``."""

import uuid
from datetime import date

from pydantic import BaseModel

from common.events.service import ServiceEvents

from .models import EVENT_TABLES

EVENTS = ServiceEvents("payments", EVENT_TABLES)

# --- published ---------------------------------------------------------------------------------------------

PAYROLL_APPROVED = "payments.payroll.approved.v1"


@EVENTS.catalogue.register(PAYROLL_APPROVED)
class PayrollApproved(BaseModel):
    """A payroll was approved (by a client other than the one that generated it) and is now immutable; its
    amounts are in the ledger. Control totals in VND: `amount` = sum of line totals = `regular` + `arrears` +
    `recovery` (negative) + `carried` + `to_recover` (recoveries larger than what a line paid, left to recover
    outside the payroll) − `to_recover_offset` (what lines withheld against their recipients' open `to_recover`
    balances). `period` is `YYYY-MM`, or `YYYY-Qn` for quarterly programmes (electricity)."""

    payroll_id: uuid.UUID
    programme: str
    period: str
    line_count: int
    amount: int
    regular: int
    arrears: int
    recovery: int
    carried: int
    to_recover: int
    to_recover_offset: int = 0
    generated_by: str
    approved_by: str


BATCH_READY = "payments.batch.ready.v1"
LINE_PAID = "payments.line.paid.v1"
LINE_UNPAID = "payments.line.unpaid.v1"
UNPAID_3_MONTHS = "payments.beneficiary.unpaid_3_months.v1"


@EVENTS.catalogue.register(BATCH_READY)
class BatchReady(BaseModel):
    """A batch (the lines of an approved payroll paid at one pay point, a commune) is ready for the payment
    organisation: download it (`download`, add `?format=json|csv|xlsx`) and report a result for every line by
    `deadline` (the 20th of the payroll's month). `line_count` and `amount` (VND, the sum of the lines' totals)
    are its control totals; `fee_percent` the contract's fee on the amount paid. Partners with
    `payments:disburse` subscribe to `payments.batch.*`."""

    batch_id: uuid.UUID
    payroll_id: uuid.UUID
    programme: str
    period: str
    commune_code: str
    district_code: str
    province_code: str
    line_count: int
    amount: int
    deadline: date
    fee_percent: str
    download: str


class _LineResult(BaseModel):
    line_id: uuid.UUID
    batch_id: uuid.UUID
    payroll_id: uuid.UUID
    programme: str
    period: str
    recipient_id: uuid.UUID
    beneficiary_id: uuid.UUID | None
    person_id: uuid.UUID | None
    line_total: int
    commune_code: str
    district_code: str
    province_code: str
    one_off_payment_id: uuid.UUID | None = None
    """The one-off payment the line paid (for a support request of child protection: its support item id)."""


@EVENTS.catalogue.register(LINE_PAID)
class LinePaid(_LineResult):
    """The payment organisation paid a line: `amount` VND on `paid_on` to the beneficiary or a named proxy
    (`paid_to`, `proxy_name`) against receipt `receipt_number`. An `amount` other than `line_total` is also an
    `amount_mismatch` exception for an officer. Published once per line (the first result reported stands)."""

    paid_on: date
    paid_to: str
    proxy_name: str | None
    receipt_number: str
    amount: int


@EVENTS.catalogue.register(LINE_UNPAID)
class LineUnpaid(_LineResult):
    """A line was not paid: `outcome` `unpaid` (the amount, `line_total`, is carried to the programme's next
    payroll) or `returned` (the money goes back to the department; not carried), with the `reason` reported."""

    outcome: str
    reason: str


@EVENTS.catalogue.register(UNPAID_3_MONTHS)
class BeneficiaryUnpaid3Months(BaseModel):
    """A beneficiary received nothing (`unpaid` or `returned`) in three consecutive monthly payrolls of
    `programme` (`periods`, oldest first; rules.md §9). The registry suspends the beneficiary from
    `suspend_from` (the month after the last one) if still active. Published once per run of three months.
    `amount_not_received` counts each VND once: a month carried into a later month of the run is counted in that
    later line's total only (three unpaid months of 750,000 → 2,250,000, the last line's total)."""

    beneficiary_id: uuid.UUID
    person_id: uuid.UUID | None
    programme: str
    periods: list[str]
    suspend_from: str
    amount_not_received: int
    commune_code: str
    district_code: str
    province_code: str
