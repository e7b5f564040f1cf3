"""TE proposals of child protection: a child under 6 without a card, identified in a case, is proposed for a TE card.
Insurance keeps the proposal (identifiers only), queues the child for a decision, and shows officers which proposed
children still have to be enrolled (the next period's list enrols them when the registry's facts entitle them)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.auth import Principal

from ..projection import service as projection
from . import repository
from .schemas import ProposalIn, ProposalOut, ProposalPage


async def propose(session: AsyncSession, data: ProposalIn) -> None:
    # A proposal naming a record merged away is the survivor's.
    data = data.model_copy(update={"person_id": await projection.survivor_of(session, data.person_id)})
    # Known to the projection if it was not (birth date and areas; TE still waits for the registry's birth
    # registration), then the proposal.
    await projection.ensure_person(
        session,
        data.person_id,
        data.date_of_birth,
        commune_code=data.commune_code,
        district_code=data.district_code,
        province_code=data.province_code,
    )
    await repository.propose(
        session,
        {
            "id": data.person_id,
            "dob": data.date_of_birth,
            "commune": data.commune_code,
            "district": data.district_code,
            "province": data.province_code,
        },
    )


async def page(session: AsyncSession, principal: Principal, after: uuid.UUID | None, limit: int) -> ProposalPage:
    areas = principal.limited_to
    rows = await repository.page(session, sorted(areas) if areas is not None else None, after, limit + 1, clock.today())
    items = [ProposalOut.model_validate(r, from_attributes=True) for r in rows[:limit]]
    return ProposalPage(items=items, next_cursor=str(rows[limit - 1].person_id) if len(rows) > limit else None)


async def merge(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID) -> None:
    """A merge: the merged record's proposal becomes the survivor's (counted with the survivor's own, if any)."""
    await repository.move(session, merged, survivor)
