"""All SQL of cards and their append-only history (the only writer of both tables)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import flush_in_savepoint

from ..models import Card, CardHistory


async def in_force(session: AsyncSession, person_ids: Sequence[uuid.UUID], *, for_update: bool = False) -> list[Card]:
    stmt = select(Card).where(Card.person_id.in_(person_ids), Card.ended_on.is_(None))
    if for_update:
        stmt = stmt.with_for_update()
    return list((await session.scalars(stmt)).all())


async def of_person(session: AsyncSession, person_id: uuid.UUID) -> list[Card]:
    return list(
        (await session.scalars(select(Card).where(Card.person_id == person_id).order_by(Card.valid_from))).all()
    )


async def get(session: AsyncSession, card_id: uuid.UUID) -> Card | None:
    return await session.scalar(select(Card).where(Card.id == card_id))


async def by_code(session: AsyncSession, code: str) -> Card | None:
    return await session.scalar(select(Card).where(Card.code == code))


async def add(session: AsyncSession, card: Card) -> None:
    """Raises :class:`common.db.UniqueViolation` when the person already has a card in force or the code exists."""
    await flush_in_savepoint(session, card)


async def end(session: AsyncSession, card: Card, valid_to: date, reason: str) -> None:
    await session.execute(
        update(Card).where(Card.id == card.id).values(valid_to=valid_to, ended_on=valid_to, end_reason=reason)
    )
    card.valid_to, card.ended_on, card.end_reason = valid_to, valid_to, reason


def record(session: AsyncSession, card: Card, kind: str, reason: str, by: str) -> None:
    session.add(
        CardHistory(
            person_id=card.person_id,
            card_id=card.id,
            kind=kind,
            group_code=card.group_code,
            code=card.code,
            valid_from=card.valid_from,
            valid_to=card.valid_to,
            reason=reason,
            recorded_by=by,
        )
    )


async def history(session: AsyncSession, person_id: uuid.UUID) -> list[CardHistory]:
    return list(
        (
            await session.scalars(
                select(CardHistory).where(CardHistory.person_id == person_id).order_by(CardHistory.id)
            )
        ).all()
    )


async def expiring(session: AsyncSession, on: date) -> list[Card]:
    """Cards in force whose last day is ``on`` and that were not announced yet."""
    return list(
        (
            await session.scalars(
                select(Card)
                .where(Card.ended_on.is_(None), Card.valid_to == on, Card.expiring_sent_on.is_(None))
                .with_for_update(skip_locked=True)
            )
        ).all()
    )


async def mark_expiring(session: AsyncSession, ids: Sequence[uuid.UUID], today: date) -> None:
    await session.execute(update(Card).where(Card.id.in_(ids)).values(expiring_sent_on=today))


async def expired(session: AsyncSession, before: date) -> list[Card]:
    return list(
        (
            await session.scalars(
                select(Card).where(Card.ended_on.is_(None), Card.valid_to < before).with_for_update(skip_locked=True)
            )
        ).all()
    )


async def covering(session: AsyncSession, person_id: uuid.UUID, day: date) -> Card | None:
    """The card valid on ``day`` (one at most: validities of a person's cards never overlap)."""
    return await session.scalar(
        select(Card)
        .where(Card.person_id == person_id, Card.valid_from <= day, (Card.valid_to.is_(None)) | (Card.valid_to >= day))
        .order_by(Card.valid_from.desc())
        .limit(1)
    )


async def carry(session: AsyncSession, card: Card, survivor: uuid.UUID) -> None:
    """A card in force of a record merged away becomes the survivor's (the survivor had none)."""
    await session.execute(update(Card).where(Card.id == card.id).values(person_id=survivor))
    card.person_id = survivor
