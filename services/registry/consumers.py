"""Inbox handlers: decode another service's event, then call one feature's use case (registered on import; the app
and ``ansinh``'s subscription set-up import this module)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from common.events.envelope import Event

from .beneficiaries import service as beneficiaries
from .events import EVENTS

PAYMENTS_UNPAID_3_MONTHS = "payments.beneficiary.unpaid_3_months.v1"
CONSUMED = [PAYMENTS_UNPAID_3_MONTHS]
"""The other services' events the registry acts on."""


@EVENTS.inbox.handler(PAYMENTS_UNPAID_3_MONTHS)
async def unpaid_3_months(session: AsyncSession, event: Event) -> None:
    """rules.md §9: three unpaid months in a row lead to suspension (``beneficiaries.service.suspend_unpaid``)."""
    data = event.data
    await beneficiaries.suspend_unpaid(session, uuid.UUID(str(data["beneficiary_id"])), data["suspend_from"],
                                       number=f"payments:{event.id}", signed_on=event.time.date())
