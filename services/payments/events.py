"""Events the payments service publishes (its catalogue) and consumes (its inbox handlers)."""

import uuid

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from common.events.envelope import Event
from common.events.service import ServiceEvents

from .models import EVENT_TABLES
from .projection import repository as projection
from .projection.schemas import EntitlementsChangedIn, PovertyStatusChangedIn

EVENTS = ServiceEvents("payments", EVENT_TABLES)

# --- consumed ----------------------------------------------------------------------------------------------

ENTITLEMENTS_CHANGED = "registry.beneficiary.entitlements_changed.v1"
POVERTY_STATUS_CHANGED = "registry.household.poverty_status_changed.v1"
PROJECTED = [ENTITLEMENTS_CHANGED, POVERTY_STATUS_CHANGED]
"""The registry events the projection is built from (and rebuilt from, replaying the hub's feed)."""


@EVENTS.inbox.handler(ENTITLEMENTS_CHANGED)
async def entitlements_changed(session: AsyncSession, event: Event) -> None:
    """A newer schedule replaces the months from its ``computed_from``; an older or equal version is ignored
    (deliveries may come out of order)."""
    await projection.apply_entitlements(session, EntitlementsChangedIn.model_validate(event.data))


@EVENTS.inbox.handler(POVERTY_STATUS_CHANGED)
async def poverty_status_changed(session: AsyncSession, event: Event) -> None:
    await projection.apply_poverty_status(session, PovertyStatusChangedIn.model_validate(event.data), event.sequence)


# --- published ---------------------------------------------------------------------------------------------

PAYROLL_APPROVED = "payments.payroll.approved.v1"


@EVENTS.catalogue.register(PAYROLL_APPROVED)
class PayrollApproved(BaseModel):
    """A payroll was approved (by a client other than the one that generated it) and is now immutable; its
    amounts are in the ledger. Control totals in VND: `amount` = sum of line totals = `regular` + `arrears` +
    `recovery` (negative) + `carried` + `to_recover` (recoveries larger than what a line paid, left to recover
    outside the payroll). `period` is `YYYY-MM`, or `YYYY-Qn` for quarterly programmes (electricity)."""

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
    generated_by: str
    approved_by: str
