"""Cards: issued from BHXH results, ended when entitlement ends, expired by the daily job. Every change is an entry
of the append-only history and an event."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import NotFound

from ..events import CARD_ENDED, CARD_EXPIRING, EVENTS, CardEnded, CardExpiring
from ..models import Card
from ..rules import cards as card_rules
from ..rules.entitlement import Segment
from ..rules.groups import Group
from . import repository
from .schemas import CardOut, CardsOut, HistoryOut

SYSTEM = "insurance"
EXPIRING_DAYS = 30


def card_data(card: Card, groups: dict[str, Group]) -> dict[str, object]:
    group = groups.get(card.group_code)
    return {
        "card_id": card.id,
        "person_id": card.person_id,
        "group": card.group_code,
        "benefit_level": group.benefit_level if group else 0,
        "code": card.code,
        "number": card.number,
        "valid_from": card.valid_from,
        "valid_to": card.valid_to,
        "commune_code": card.commune_code,
        "district_code": card.district_code,
        "province_code": card.province_code,
    }


async def end(
    session: AsyncSession, card: Card, valid_to: date, reason: str, groups: dict[str, Group], by: str = SYSTEM
) -> None:
    await repository.end(session, card, valid_to, reason)
    repository.record(session, card, "ended", reason, by)
    await EVENTS.publish(session, CARD_ENDED, str(card.person_id), CardEnded(**card_data(card, groups), reason=reason))  # type: ignore[arg-type]


def held_until(card: Card, segments: list[Segment]) -> tuple[bool, date | None]:
    """Whether the person holds the card's group during the card's validity, and until when (exclusive; None: open):
    the first segment of that group overlapping the card decides (BHXH may start a card a few days before the
    entitlement we decided, e.g. from the birth rather than the birth registration). A card whose group the person
    never holds during its validity ends the day before it starts (void)."""
    last = card.valid_to or date.max
    for s in segments:
        if s.group == card.group_code and s.start <= last and (s.end is None or s.end > card.valid_from):
            return True, s.end
    return False, card.valid_from


@dataclass(frozen=True)
class Followed:
    ended: int


async def follow(
    session: AsyncSession,
    decided: dict[uuid.UUID, list[Segment]],
    reasons: dict[uuid.UUID, str],
    groups: dict[str, Group],
) -> Followed:
    """End the cards in force whose group the persons no longer hold. A change to another group is not an end: the
    card stays until BHXH issues the new one (the next list asks for it). The end date is the day before the
    entitlement stops; a card already paid for (part-funded groups) is only shortened with a recorded reason."""
    ended = 0
    for card in await repository.in_force(session, list(decided), for_update=True):
        segments = decided[card.person_id]
        _, until = held_until(card, segments)
        if until is None:
            continue
        continues_as = next((s.group for s in segments if s.start == until), None)
        if continues_as is not None:
            continue  # a change of group: on the next list
        reason = reasons.get(card.person_id, "")
        paid_through = card.valid_to if card.paid_on is not None else None
        last = card_rules.new_valid_to(card.valid_to, paid_through, until - timedelta(days=1), reason)
        if last is None or (card.valid_to is not None and last >= card.valid_to):
            continue  # ends at its validity anyway (the daily job expires it) or is kept to its paid end
        await end(session, card, last, reason or "entitlement_ended", groups)
        ended += 1
    return Followed(ended)


async def issue(session: AsyncSession, card: Card, kind: str, reason: str, by: str) -> None:
    """A card BHXH issued (``kind``: issued, renewed, changed_group) and its history line. Raises
    :class:`common.db.UniqueViolation` when the person already has a card in force or the code exists (nothing is
    written then)."""
    await repository.add(session, card)
    repository.record(session, card, kind, reason, by)


async def end_replaced(session: AsyncSession, ends: Sequence[tuple[uuid.UUID, date, str]]) -> None:
    """Cards replaced by cards BHXH issued (``(card id, last day, reason)``: renewed, changed_group), each with its
    history line, in one statement (the caller publishes their ``insurance.card.ended.v1``)."""
    await repository.end_cards(session, ends)


async def issue_many(session: AsyncSession, cards: Sequence[dict[str, Any]], reason: str, by: str) -> int:
    """Cards BHXH issued, with their history lines (``kind`` in each), in one statement; returns how many were
    written: fewer than given when a concurrent writer took a code or a person's card-in-force slot (nothing is
    raised: the caller decides)."""
    return await repository.add_cards(session, cards, reason, by)


async def expire(session: AsyncSession, today: date, groups: dict[str, Group]) -> tuple[int, int]:
    """The daily job's part: announce cards ending in 30 days; end the cards whose validity is over."""
    soon = await repository.expiring(session, today + timedelta(days=EXPIRING_DAYS))
    if soon:
        await EVENTS.publish_many(
            session, CARD_EXPIRING, [(str(c.person_id), CardExpiring(**card_data(c, groups))) for c in soon]
        )  # type: ignore[arg-type]
        await repository.mark_expiring(session, [c.id for c in soon], today)
    over = await repository.expired(session, today)
    for card in over:
        assert card.valid_to is not None
        await end(session, card, card.valid_to, "expired", groups)
    return len(soon), len(over)


def _out(card: Card) -> CardOut:
    return CardOut(
        id=card.id,
        person_id=card.person_id,
        group=card.group_code,
        code=card.code,
        number=card.number,
        issuing_province=card.issuing_province,
        valid_from=card.valid_from,
        valid_to=card.valid_to,
        ended_on=card.ended_on,
        end_reason=card.end_reason or None,
        commune_code=card.commune_code,
        district_code=card.district_code,
        province_code=card.province_code,
    )


async def of_person(
    session: AsyncSession,
    principal: Principal,
    person_id: uuid.UUID,
    segments: list[Segment],
    areas: tuple[str, str, str] | None,
) -> CardsOut:
    if areas is None or not principal.may_see_area(*areas):
        raise NotFound(f"insurance knows no person {person_id}")
    cards = await repository.of_person(session, person_id)
    history = await repository.history(session, person_id)
    return CardsOut(
        person_id=person_id,
        entitlements=[{"group": s.group, "valid_from": s.start, "valid_to": s.last_day} for s in segments],
        cards=[_out(c) for c in cards],
        history=[
            HistoryOut(
                card_id=h.card_id,
                kind=h.kind,
                group=h.group_code,
                code=h.code,
                valid_from=h.valid_from,
                valid_to=h.valid_to,
                reason=h.reason,
                recorded_by=h.recorded_by,
                recorded_at=h.recorded_at,
            )
            for h in history
        ],
    )


MERGED = "merged"


async def merge(
    session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID, today: date, groups: dict[str, Group]
) -> str | None:
    """One card per person after a merge of two registry records (history is never rewritten):

    - the survivor holds a card in force: the merged record's card in force ends (reason ``merged``) the day before
      the merge (void, the day before it starts, if it starts later); the next BHXH list asks to end it;
    - the survivor holds none: the merged record's card is carried to the survivor (history ``carried``) and the
      survivor's next decision follows it (a ``change`` on the next list if the survivor's group differs).

    Returns what happened to the merged record's card: ``ended``, ``carried`` or None (it had no card in force)."""
    cards = {c.person_id: c for c in await repository.in_force(session, [merged, survivor], for_update=True)}
    card = cards.get(merged)
    if card is None:
        return None
    if survivor in cards:
        last = max(card.valid_from - timedelta(days=1), today - timedelta(days=1))
        if card.valid_to is not None:
            last = min(last, card.valid_to)
        await end(session, card, last, MERGED, groups)
        return "ended"
    await repository.carry(session, card, survivor)
    repository.record(session, card, "carried", f"merged: carried from record {merged}", SYSTEM)
    return "carried"


async def holds_card(session: AsyncSession, person_id: uuid.UUID) -> bool:
    return bool(await repository.in_force(session, [person_id]))
