"""Inbox handlers: decode a registry event, then call the projection's use case (which queues the persons it touches
for a new decision; the decision worker follows within a second)."""

from sqlalchemy.ext.asyncio import AsyncSession

from common.events.envelope import Event
from common.events.inbox import BatchHandler

from .events import EVENTS
from .merges import service as merges
from .projection import service as projection
from .projection.schemas import PersonMergedIn
from .proposals import service as proposals
from .proposals.schemas import ProposalIn

PERSON_REGISTERED = "registry.person.registered.v1"
PERSON_UPDATED = "registry.person.updated.v1"
PERSON_DIED = "registry.person.died.v1"
BENEFICIARY = {f"registry.beneficiary.{kind}.v1": kind for kind in projection.STEP_KINDS}
POVERTY_STATUS_CHANGED = "registry.household.poverty_status_changed.v1"
MEMBER_JOINED = "registry.household.member_joined.v1"
MEMBER_LEFT = "registry.household.member_left.v1"
PERSON_MERGED = "registry.person.merged.v1"
CONSUMED = [
    PERSON_REGISTERED,
    PERSON_UPDATED,
    PERSON_DIED,
    *BENEFICIARY,
    POVERTY_STATUS_CHANGED,
    MEMBER_JOINED,
    MEMBER_LEFT,
    PERSON_MERGED,
]
"""The registry events insurance's projection is built from."""


@EVENTS.inbox.handler(PERSON_REGISTERED)
async def person_registered(session: AsyncSession, event: Event) -> None:
    await projection.person_registered(session, event)


@EVENTS.inbox.handler(PERSON_UPDATED)
async def person_updated(session: AsyncSession, event: Event) -> None:
    await projection.person_updated(session, event)


@EVENTS.inbox.handler(PERSON_DIED)
async def person_died(session: AsyncSession, event: Event) -> None:
    """A death recorded late ends the card retroactively (the day of death is its last day)."""
    await projection.person_died(session, event)


@EVENTS.inbox.handler(*BENEFICIARY)
async def beneficiary_decision(session: AsyncSession, event: Event) -> None:
    await projection.beneficiary_step(session, event, BENEFICIARY[event.type])


@EVENTS.inbox.handler(POVERTY_STATUS_CHANGED)
async def poverty_status_changed(session: AsyncSession, event: Event) -> None:
    await projection.poverty_status(session, event)


@EVENTS.inbox.handler(MEMBER_JOINED)
async def member_joined(session: AsyncSession, event: Event) -> None:
    await projection.member_joined(session, event)


@EVENTS.inbox.handler(MEMBER_LEFT)
async def member_left(session: AsyncSession, event: Event) -> None:
    await projection.member_left(session, event)


@EVENTS.inbox.handler(PERSON_MERGED)
async def person_merged(session: AsyncSession, event: Event) -> None:
    """Two registry records of one person became one: the merged record's facts, proposals and pupil records move to
    the survivor, the cards settle to one (history kept), and both are decided again."""
    await merges.person_merged(session, PersonMergedIn.model_validate(event.data))


TE_PROPOSED = "child_protection.child.insurance_proposed.v1"


@EVENTS.inbox.handler(TE_PROPOSED)
async def te_proposed(session: AsyncSession, event: Event) -> None:
    """A child under 6 without a card proposed by child protection: kept for the officers' list of children to enrol
    (a repeated proposal counts, never duplicates) and queued for a decision. The case fields are not kept."""
    await proposals.propose(session, ProposalIn.model_validate(event.data))


def _person(event: Event) -> object:
    return event.data.get("person_id")


# Set-based forms for a consumer catching up on many events at once (``EVENTS.inbox.apply_many``).
@EVENTS.inbox.batch_handler(PERSON_REGISTERED, key=_person)
async def persons_registered(session: AsyncSession, events: list[Event]) -> None:
    await projection.persons_registered(session, events)


@EVENTS.inbox.batch_handler(MEMBER_JOINED, key=_person)
async def members_joined(session: AsyncSession, events: list[Event]) -> None:
    await projection.members_joined(session, events)


def _steps(kind: str) -> BatchHandler:
    async def handle(session: AsyncSession, events: list[Event]) -> None:
        await projection.beneficiary_steps(session, events, kind)

    return handle


for _type, _kind in BENEFICIARY.items():
    EVENTS.inbox.batch_handler(_type, key=_person)(_steps(_kind))
