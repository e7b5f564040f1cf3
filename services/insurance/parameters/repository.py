"""All SQL of card groups and parameters."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import UniqueViolation, flush_in_savepoint

from ..models import CardGroup, Parameter


async def groups(session: AsyncSession) -> Sequence[CardGroup]:
    return (await session.scalars(select(CardGroup).order_by(CardGroup.statutory_order))).all()


async def values(session: AsyncSession, status: str = "approved") -> Sequence[Parameter]:
    return (
        await session.scalars(
            select(Parameter).where(Parameter.status == status).order_by(Parameter.name, Parameter.valid_from)
        )
    ).all()


async def get(session: AsyncSession, proposal_id: uuid.UUID) -> Parameter | None:
    return await session.scalar(select(Parameter).where(Parameter.id == proposal_id).with_for_update())


async def add(session: AsyncSession, row: Parameter) -> None:
    await flush_in_savepoint(session, row)


async def decide(session: AsyncSession, row: Parameter, status: str, by: str, at: datetime, reason: str) -> None:
    """Record the decision in a savepoint: a second approved value of the same name and day raises
    :class:`UniqueViolation` and leaves the transaction usable."""
    try:
        async with session.begin_nested():
            await session.execute(
                update(Parameter)
                .where(Parameter.id == row.id)
                .values(status=status, decided_by=by, decided_at=at, reason=reason)
            )
    except IntegrityError as exc:
        raise UniqueViolation(str(exc.orig)) from exc
    await session.refresh(row)


async def recordable_groups(session: AsyncSession) -> set[str]:
    """The groups recorded as data (HS, SV), not decided from the registry's events."""
    return set((await session.scalars(select(CardGroup.code).where(CardGroup.from_events.is_(False)))).all())
