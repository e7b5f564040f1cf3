"""The events the insurance service publishes (its catalogue). What it consumes is in ``consumers.py``."""

import uuid
from datetime import date

from pydantic import BaseModel, Field

from common.events.service import ServiceEvents

from .models import EVENT_TABLES

EVENTS = ServiceEvents("insurance", EVENT_TABLES)

CARD_ISSUED = "insurance.card.issued.v1"
CARD_ENDED = "insurance.card.ended.v1"
CARD_EXPIRING = "insurance.card.expiring.v1"
LIST_READY = "insurance.list.ready.v1"


class _Card(BaseModel):
    card_id: uuid.UUID
    person_id: uuid.UUID
    group: str = Field(description="TE, BT, HN, CN, GB, HS or SV")
    benefit_level: int
    code: str = Field(description="The 15-character card code (object code, level, province, 10-digit number)")
    number: str = Field(description="The 10-digit social-insurance number printed on the card")
    valid_from: date
    valid_to: date | None
    commune_code: str
    district_code: str
    province_code: str


@EVENTS.catalogue.register(CARD_ISSUED)
class CardIssued(_Card):
    """BHXH issued a card (a result of a period's list): the person's one card from `valid_from`. `action` is what
    the list asked for (enrol, renew or change); a change ends the previous card the day before (its own
    `insurance.card.ended.v1`). No name, no national ID."""

    action: str
    list_id: uuid.UUID


@EVENTS.catalogue.register(CARD_ENDED)
class CardEnded(_Card):
    """A card ended: `valid_to` is now its last day. `reason`: `death` (retroactive to the day of death),
    `terminated` (the allowance ended), `entitlement_ended` (loss of status; a card already paid for runs to its
    paid end), `changed_group` (replaced by a card of another group), `expired` (reached its validity)."""

    reason: str


@EVENTS.catalogue.register(CARD_EXPIRING)
class CardExpiring(_Card):
    """A card reaches its last day (`valid_to`) in 30 days; published once per card by the daily job. Renewal
    goes on the next period's list if the person is still entitled."""


@EVENTS.catalogue.register(LIST_READY)
class ListReady(BaseModel):
    """A period's list for BHXH is ready: `counts` per action (enrol, renew, change, end). Download it from
    `download` (`?format=json|csv|xlsx`, `&action=` to filter) and post the results back. Partners with
    `insurance:exchange` subscribe to `insurance.list.*`; the feed and webhooks are limited to the client's areas
    (an area-limited client downloads only its areas' rows)."""

    list_id: uuid.UUID
    period: str
    item_count: int
    counts: dict[str, int]
    download: str
    province_code: str = Field(description="The province of the department (areas filter the feed by it)")
