"""Inbox handlers: decode another service's event, then call one feature's use case (registered on import; the app,
the projection's rebuild and ``ansinh``'s subscription set-up import this module)."""

from sqlalchemy.ext.asyncio import AsyncSession

from common.events.envelope import Event

from .events import EVENTS
from .foster import service as foster
from .foster.schemas import PlacementEndedIn, PlacementRecordedIn
from .merges import service as merges
from .one_off import service as one_off
from .one_off.schemas import SupportRequestIn
from .projection import service as projection
from .projection.schemas import EntitlementsChangedIn, PersonMergedIn, PovertyStatusChangedIn

ENTITLEMENTS_CHANGED = "registry.beneficiary.entitlements_changed.v1"
POVERTY_STATUS_CHANGED = "registry.household.poverty_status_changed.v1"
SUPPORT_REQUESTED = "child_protection.support.payment_requested.v1"
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


@EVENTS.inbox.handler(SUPPORT_REQUESTED)
async def support_requested(session: AsyncSession, event: Event) -> None:
    """Money support approved in a child-protection case becomes one one-off payment of the ``service_request``
    programme whose id is the support item's: a repeated event (or the same item published twice) pays once."""
    await one_off.from_support_request(session, SupportRequestIn.model_validate(event.data))


PERSON_MERGED = "registry.person.merged.v1"


@EVENTS.inbox.handler(PERSON_MERGED)
async def person_merged(session: AsyncSession, event: Event) -> None:
    """What is current of the record merged away follows the survivor (beneficiaries, artisan enrolments still
    paying, unissued gifts and one-off payments, unpaid reliefs, current foster placements), never paying one person
    twice for a month or a year; payroll lines and ledger entries already written keep the person id they were made
    with (they are history). See ``merges.service``."""
    await merges.person_merged(session, PersonMergedIn.model_validate(event.data))


PLACEMENT_RECORDED = "child_protection.placement.recorded.v1"
PLACEMENT_ENDED = "child_protection.placement.ended.v1"


@EVENTS.inbox.handler(PLACEMENT_RECORDED)
async def placement_recorded(session: AsyncSession, event: Event) -> None:
    """A foster placement becomes a recipient of the ``foster_care`` programme (paid when `foster_allowance`: a 5.1
    child); other kinds are ignored. A repeated event changes nothing."""
    await foster.placement_recorded(session, PlacementRecordedIn.model_validate(event.data))


@EVENTS.inbox.handler(PLACEMENT_ENDED)
async def placement_ended(session: AsyncSession, event: Event) -> None:
    """A foster placement's last paid month becomes the month care ended."""
    await foster.placement_ended(session, PlacementEndedIn.model_validate(event.data))
