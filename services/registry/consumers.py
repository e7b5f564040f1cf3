"""Inbox handlers: decode another service's event, then call one feature's use case (registered on import; the app
and ``ansinh``'s subscription set-up import this module)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from common.events.envelope import Event

from .beneficiaries import service as beneficiaries
from .events import EVENTS
from .referrals import service as referrals
from .referrals.schemas import ReferralIn

PAYMENTS_UNPAID_3_MONTHS = "payments.beneficiary.unpaid_3_months.v1"
ALLOWANCE_REFERRED = "child_protection.child.allowance_referred.v1"
CONSUMED = [PAYMENTS_UNPAID_3_MONTHS, ALLOWANCE_REFERRED]
"""The other services' events the registry acts on."""


@EVENTS.inbox.handler(PAYMENTS_UNPAID_3_MONTHS)
async def unpaid_3_months(session: AsyncSession, event: Event) -> None:
    """rules.md §9: three unpaid months in a row lead to suspension (``beneficiaries.service.suspend_unpaid``)."""
    data = event.data
    await beneficiaries.suspend_unpaid(
        session,
        uuid.UUID(str(data["beneficiary_id"])),
        data["suspend_from"],
        number=f"payments:{event.id}",
        signed_on=event.time.date(),
    )


@EVENTS.inbox.handler(ALLOWANCE_REFERRED)
async def allowance_referred(session: AsyncSession, event: Event) -> None:
    """Child protection referred a child for the monthly allowance (5.1 or 5.3): an application draft with the case
    number as its source, for an officer to submit (maker-checker as any application) or dismiss. A repeated
    referral of the same case, person and category changes nothing."""
    await referrals.receive(session, ReferralIn.model_validate(event.data))
