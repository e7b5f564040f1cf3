"""A merge of two registry records of one person (``registry.person.merged.v1``) across payments' features: what is
current follows the survivor, what was paid stays as it was.

- the projection's beneficiaries (the allowance) name the survivor;
- artisan enrolments still paying move to the survivor, or end the month before this one when the survivor has its
  own (one artisan, one allowance a month);
- longevity gifts not yet issued move to the survivor; one in a year the survivor already has a gift is dropped with
  its unissued payment (one gift per person and year);
- one-off payments not yet issued (funeral support, emergency relief, gifts, requested support) and emergency reliefs
  not yet paid name the survivor;
- foster placements of the child not ended name the survivor;
- payroll lines, line results and the ledger are history: never re-keyed.

Electricity support is per household; the registry never merges records of two different households."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock

from ..artisans import service as artisans
from ..emergency import service as emergency
from ..foster import service as foster
from ..longevity import service as longevity
from ..one_off import service as one_off
from ..projection import service as projection
from ..projection.schemas import PersonMergedIn


async def person_merged(session: AsyncSession, data: PersonMergedIn) -> None:
    merged, survivor = data.person_id, data.survivor_id
    if merged == survivor:
        return
    today = clock.today()
    await projection.apply_person_merged(session, data)
    await artisans.merge(session, merged, survivor, today.replace(day=1))
    dropped = await longevity.merge(session, merged, survivor)
    await one_off.merge(session, merged, survivor, dropped)
    await emergency.merge(session, merged, survivor)
    await foster.merge(session, merged, survivor, today)
