"""The decision: for the queued persons, decide the one card group per day (``rules.entitlement.decide``), store it,
and let the cards follow (a card whose group is no longer held ends). Set-based: a chunk of persons costs a handful
of statements whatever its size."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from ..cards import service as cards
from ..parameters import service as parameters
from ..rules.entitlement import Segment, decide
from . import repository

CHUNK = 2000


async def decide_persons(session: AsyncSession, ids: list[uuid.UUID], reasons: dict[uuid.UUID, str]) -> int:
    params = await parameters.load(session)
    facts = await repository.facts(session, ids)
    # A record merged away is decided as holding nothing (its facts moved to the survivor): whatever still queues it
    # (its own registration arriving late, a proposal naming it) never gives it an entitlement or a card.
    merged = await repository.merged_among(session, list(facts))
    decided: dict[uuid.UUID, list[Segment]] = {
        p: [] if p in merged else decide(f, params.groups) for p, f in facts.items()
    }
    await repository.replace(session, decided)
    await cards.follow(session, decided, reasons, params.groups)
    return len(decided)


async def decide_pending(session: AsyncSession, limit: int = CHUNK) -> int:
    """Decide up to ``limit`` queued persons in the caller's transaction; returns how many were taken."""
    return (await decide_next(session, None, limit))[0]


async def decide_next(
    session: AsyncSession, after: repository.Cursor | None, limit: int = CHUNK
) -> tuple[int, repository.Cursor | None]:
    """:func:`decide_pending` for the persons queued after ``after`` in the queue's order (None: from the start);
    returns how many were taken and where the next chunk starts. A worker draining the queue chunk after chunk
    passes the cursor on; a person queued meanwhile with an earlier ``queued_at`` (a transaction that began before
    and committed after) is found by the next pass from the start."""
    queued = await repository.take(session, limit, after)
    if not queued:
        return 0, after
    await decide_persons(session, [q.person_id for q in queued], {q.person_id: q.reason for q in queued})
    return len(queued), (queued[-1].queued_at, queued[-1].person_id)


async def decide_all_pending(session: AsyncSession) -> int:
    total = 0
    while n := await decide_pending(session):
        total += n
    return total


async def requeue_ending(session: AsyncSession, today: date) -> int:
    """The daily job: persons with an entitlement segment ending by today are decided again (how many queued)."""
    return await repository.requeue_ending(session, today)


async def segments(session: AsyncSession, person_id: uuid.UUID) -> list[Segment]:
    return await repository.segments(session, person_id)
