"""A merge of two registry records of one person (``registry.person.merged.v1``) across insurance's features: one
person, one decision, one card, with every card's history kept.

Order: the projection remembers the merge and moves the facts (decisions on the beneficiary, household memberships)
to the survivor; pupil/student records and TE proposals follow; the cards settle to one (the merged record's card
ends if the survivor holds one, else it is carried to the survivor); the merged record's unanswered list items are
withdrawn when the survivor is covered otherwise; then both records are decided again at once (the merged record
as holding nothing)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock

from ..cards import service as cards
from ..decisions import service as decisions
from ..exchange import service as exchange
from ..parameters import service as parameters
from ..projection import service as projection
from ..projection.schemas import PersonMergedIn
from ..proposals import service as proposals
from ..recorded import service as recorded


async def person_merged(session: AsyncSession, data: PersonMergedIn) -> None:
    merged, survivor = data.person_id, data.survivor_id
    if merged == survivor or not await projection.merge(session, merged, survivor, data):
        return
    await recorded.merge(session, merged, survivor)
    await proposals.merge(session, merged, survivor)
    params = await parameters.load(session)
    card = await cards.merge(session, merged, survivor, clock.today(), params.groups)
    await exchange.merge(session, merged, survivor, card)
    await decisions.decide_persons(session, [merged, survivor], {})
