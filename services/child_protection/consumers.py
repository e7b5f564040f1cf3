"""Inbox handlers: decode another service's event, then call one feature's use case (registered on import; the app
and ``ansinh``'s subscription set-up import this module)."""

from sqlalchemy.ext.asyncio import AsyncSession

from common.events.envelope import Event

from .children import service as children
from .children.schemas import PersonMergedIn
from .events import EVENTS
from .support import service as support
from .support.schemas import LineResultIn

LINE_PAID = "payments.line.paid.v1"
LINE_UNPAID = "payments.line.unpaid.v1"


@EVENTS.inbox.handler(LINE_PAID)
async def line_paid(session: AsyncSession, event: Event) -> None:
    """A support item paid by the post office: its status becomes ``paid`` (lines of other programmes are
    ignored)."""
    data = LineResultIn.model_validate(event.data)
    await support.apply_outcome(session, data, "paid", data.paid_on)


@EVENTS.inbox.handler(LINE_UNPAID)
async def line_unpaid(session: AsyncSession, event: Event) -> None:
    """A support item not paid: ``unpaid`` (payments carries it to the next payroll) or ``returned``."""
    data = LineResultIn.model_validate(event.data)
    await support.apply_outcome(session, data, data.outcome or "unpaid", None)


PERSON_MERGED = "registry.person.merged.v1"


@EVENTS.inbox.handler(PERSON_MERGED)
async def person_merged(session: AsyncSession, event: Event) -> None:
    """A child identified as a registry record that was merged away names the survivor (cases and placements follow
    the child, not the registry record)."""
    await children.person_merged(session, PersonMergedIn.model_validate(event.data))
