"""All SQL of cards and their append-only history (the only writer of both tables)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, text, update
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


# --- BHXH's results, set-wise (called by the exchange through the cards service) ------------------------------


async def end_cards(session: AsyncSession, ends: Sequence[tuple[uuid.UUID, date, str]]) -> None:
    """``(card id, last day, reason)``: the cards end (as :func:`..cards.repository.end`), each with its history line
    (``ended``, by the insurance service)."""
    if not ends:
        return
    await session.execute(
        text("""
        WITH ended AS (
            UPDATE insurance.cards c SET valid_to = d.last_day, ended_on = d.last_day, end_reason = d.reason
            FROM unnest(CAST(:ids AS uuid[]), CAST(:days AS date[]), CAST(:reasons AS text[]))
                 AS d(id, last_day, reason)
            WHERE c.id = d.id
            RETURNING c.id, c.person_id, c.group_code, c.code, c.valid_from, c.valid_to, c.end_reason
        )
        INSERT INTO insurance.card_history (person_id, card_id, kind, group_code, code, valid_from, valid_to, reason,
                                            recorded_by)
        SELECT person_id, id, 'ended', group_code, code, valid_from, valid_to, end_reason, 'insurance' FROM ended"""),
        {"ids": [e[0] for e in ends], "days": [e[1] for e in ends], "reasons": [e[2] for e in ends]},
    )


_NEW_CARDS = text("""
    WITH new AS (
        INSERT INTO insurance.cards (id, person_id, group_code, code, number, issuing_province, valid_from, valid_to,
                                     paid_on, ended_on, end_reason, commune_code, district_code, province_code,
                                     list_item_id, issued_at)
        SELECT d.id, d.person_id, d.group_code, d.code, d.number, d.province, d.valid_from, d.valid_to, d.paid_on, NULL,
               '', d.commune_code, d.district_code, d.province_code, d.item_id, now()
        FROM unnest(CAST(:ids AS uuid[]), CAST(:persons AS uuid[]), CAST(:groups AS text[]), CAST(:codes AS text[]),
                    CAST(:numbers AS text[]), CAST(:provinces AS text[]), CAST(:valid_from AS date[]),
                    CAST(:valid_to AS date[]), CAST(:paid_on AS date[]), CAST(:communes AS text[]),
                    CAST(:districts AS text[]), CAST(:province_codes AS text[]), CAST(:items AS uuid[]))
             AS d(id, person_id, group_code, code, number, province, valid_from, valid_to, paid_on, commune_code,
                  district_code, province_code, item_id)
        ON CONFLICT DO NOTHING
        RETURNING id, person_id, group_code, code, valid_from, valid_to
    ), history AS (
        INSERT INTO insurance.card_history (person_id, card_id, kind, group_code, code, valid_from, valid_to, reason,
                                            recorded_by)
        SELECT new.person_id, new.id, k.kind, new.group_code, new.code, new.valid_from, new.valid_to, :reason, :by
        FROM new JOIN unnest(CAST(:ids AS uuid[]), CAST(:kinds AS text[])) AS k(id, kind) ON k.id = new.id
    )
    SELECT count(*) FROM new""")


async def add_cards(session: AsyncSession, cards: Sequence[dict[str, Any]], reason: str, by: str) -> int:
    """Insert the cards (dicts of :data:`_NEW_CARDS`' columns, with ``kind``: issued, renewed or changed_group) and
    their history lines, skipping any that would break a unique rule (a code that exists, a second card in force for
    a person): returns how many were written, so the caller sees a concurrent writer's win."""
    if not cards:
        return 0
    column = {
        "ids": "id",
        "persons": "person_id",
        "groups": "group_code",
        "codes": "code",
        "numbers": "number",
        "provinces": "issuing_province",
        "valid_from": "valid_from",
        "valid_to": "valid_to",
        "paid_on": "paid_on",
        "communes": "commune_code",
        "districts": "district_code",
        "province_codes": "province_code",
        "items": "list_item_id",
        "kinds": "kind",
    }
    params: dict[str, Any] = {p: [c[k] for c in cards] for p, k in column.items()}
    return int(await session.scalar(_NEW_CARDS, {**params, "reason": reason, "by": by}) or 0)
