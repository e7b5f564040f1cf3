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
    queued = await repository.take(session, limit)
    if not queued:
        return 0
    await decide_persons(session, [q.person_id for q in queued], {q.person_id: q.reason for q in queued})
    return len(queued)


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
