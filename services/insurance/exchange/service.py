"""Use cases of the exchange with BHXH: build a period's lists, read them (identity fields fetched from the registry
for each answer, never stored), record BHXH's results, resolve exceptions. Nothing here commits."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.areas import sees
from common.auth import Principal
from common.db import UniqueViolation
from common.errors import NotFound
from common.pagination import cursor_if_full, keyset

from ..cards import repository as cards_repository
from ..cards import service as cards
from ..events import CARD_ENDED, CARD_ISSUED, EVENTS, LIST_READY, CardEnded, CardIssued, ListReady
from ..models import Card, ExchangeException, ExchangeItem, ExchangeList
from ..parameters import service as parameters
from ..projection import service as projection
from ..rules import card_code
from ..rules.validity import month_end
from . import repository
from .exceptions import ExceptionResolved, ListExists, ListNotFound
from .identities import Identities, digester
from .schemas import ExceptionOut, ItemOut, ListOut, ResultIn, ResultsOut

PURPOSE = "BHXH health-insurance list {period} (insurance service)"


def period_bounds(period: str) -> tuple[date, date]:
    first = date(int(period[:4]), int(period[5:]), 1)
    return first, month_end(first)


def out(row: ExchangeList, counts: dict[str, int] | None = None) -> ListOut:
    """The list as the caller may see it: ``counts`` are the items per action within the caller's areas (None: the
    whole list's, for a client of the whole province)."""
    if counts is not None:
        counts = {action: counts.get(action, 0) for action in row.counts}
    return ListOut(
        id=row.id,
        period=row.period,
        built_on=row.built_on,
        item_count=row.item_count if counts is None else sum(counts.values()),
        counts=row.counts if counts is None else counts,
        created_by=row.created_by,
        created_at=row.created_at,
        download=f"/insurance/lists/{row.id}/download",
    )


async def build(
    session: AsyncSession,
    principal: Principal,
    period: str,
    identities: Identities,
    identity_key: str,
    province_code: str,
) -> ListOut:
    """The period's lists (enrol, renew, change, end) from the decided entitlements and the cards in force, set-wise.
    The identities of the persons on it are read once from the registry to learn their national-ID digests."""
    await repository.lock_builds(session)
    existing = await repository.by_period(session, period)
    if existing is not None:
        raise ListExists(f"the list of {period} was already built", list_id=str(existing.id))
    params = await parameters.load(session)
    yearly = [g.code for g in params.groups.values() if not g.fully_state_funded]
    first, last = period_bounds(period)
    row = ExchangeList(
        id=uuid.uuid4(),
        period=period,
        built_on=clock.today(),
        item_count=0,
        counts={},
        created_by=principal.client_id,
        created_at=datetime.now(UTC),
    )
    repository.add(session, row)
    await session.flush()
    counts = await repository.build(session, row.id, first, last, yearly)
    row.counts, row.item_count = counts, sum(counts.values())
    await learn_digests(session, row.id, identities, identity_key, period)
    await session.flush()
    await EVENTS.publish(
        session,
        LIST_READY,
        str(row.id),
        ListReady(
            list_id=row.id,
            period=period,
            item_count=row.item_count,
            counts=counts,
            download=f"/insurance/lists/{row.id}/download",
            province_code=province_code,
        ),
    )
    return out(row)


DIGEST_BATCH = 20_000
"""Persons whose identities are read per step when a list is built (the next step's are read while this one's
digests are stored)."""


async def learn_digests(
    session: AsyncSession, list_id: uuid.UUID, identities: Identities, key: str, period: str
) -> None:
    ids = await repository.person_ids(session, list_id)
    if not ids:
        return
    purpose = PURPOSE.format(period=period)
    keyed = digester(key)
    batches = [ids[i : i + DIGEST_BATCH] for i in range(0, len(ids), DIGEST_BATCH)]
    pending: asyncio.Future[dict[str, dict[str, Any]]] | None = asyncio.ensure_future(
        identities.fetch(batches[0], purpose)
    )
    try:
        for k in range(len(batches)):
            assert pending is not None
            found = await pending
            pending = asyncio.ensure_future(identities.fetch(batches[k + 1], purpose)) if k + 1 < len(batches) else None
            await projection.store_digests(
                session, {pid: keyed(p["national_id"]) for pid, p in found.items() if p.get("national_id")}
            )
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending


async def get(session: AsyncSession, list_id: uuid.UUID) -> ExchangeList:
    row = await repository.get(session, list_id)
    if row is None:
        raise ListNotFound(f"no list {list_id}")
    return row


async def lists(session: AsyncSession, principal: Principal) -> list[ListOut]:
    """Every list, its counts within the client's areas (an office of one district does not learn how many persons
    of the others are on it)."""
    rows = await repository.lists(session)
    areas = principal.limited_to
    if areas is None:
        return [out(r) for r in rows]
    counts = await repository.counts_in_areas(session, [r.id for r in rows], areas) if rows else {}
    return [out(r, counts.get(r.id, {})) for r in rows]


async def out_for(session: AsyncSession, principal: Principal, row: ExchangeList) -> ListOut:
    """:func:`out` with the counts within the client's areas."""
    areas = principal.limited_to
    if areas is None:
        return out(row)
    return out(row, (await repository.counts_in_areas(session, [row.id], areas)).get(row.id, {}))


def item_out(r: Row[Any], identity: dict[str, Any] | None) -> ItemOut:
    item: ExchangeItem = r[0]
    i = identity or {}
    return ItemOut(
        item_id=item.id,
        person_id=item.person_id,
        action=item.action,  # type: ignore[arg-type]
        group=item.group_code,
        benefit_level=item.benefit_level,
        valid_from=item.valid_from,
        valid_to=item.valid_to,
        current_card=r.current_card,
        full_name=i.get("full_name"),
        date_of_birth=i.get("date_of_birth"),
        sex=i.get("sex"),
        national_id=i.get("national_id"),
        address=i.get("address_line"),
        household_code=i.get("household_code"),
        commune_code=item.commune_code,
        district_code=item.district_code,
        result=item.result,
        result_reason=item.result_reason,
        card_code=r.issued_code,
        card_valid_from=r.issued_from,
        card_valid_to=r.issued_to,
    )


async def page(
    session: AsyncSession,
    principal: Principal,
    row: ExchangeList,
    identities: Identities,
    action: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ItemOut], str | None]:
    after = keyset(cursor, uuid.UUID)
    rows = await repository.items(session, row.id, principal.limited_to, action, after[0] if after else None, limit)
    found = await identities.fetch([r[0].person_id for r in rows], PURPOSE.format(period=row.period)) if rows else {}
    items = [item_out(r, found.get(str(r[0].person_id))) for r in rows]
    return items, cursor_if_full(rows, limit, lambda r: [str(r[0].id)])


# --- results -----------------------------------------------------------------------------------------------


def _exception(list_id: uuid.UUID, person_id: uuid.UUID | None, kind: str, **detail: Any) -> ExchangeException:
    return ExchangeException(
        id=uuid.uuid4(),
        list_id=list_id,
        person_id=person_id,
        kind=kind,
        detail={k: (str(v) if isinstance(v, date | uuid.UUID) else v) for k, v in detail.items()},
        status="open",
        resolution="",
        created_at=datetime.now(UTC),
    )


def _listed_once(
    principal: Principal, row: ExchangeList, items: dict[uuid.UUID, Any], seen: set[uuid.UUID], r: ResultIn
) -> tuple[Any, ExchangeException | None]:
    """The list item a result answers, or the exception when it answers none this caller may see, or repeats one
    already answered in the same report (``seen`` grows with each result accepted)."""
    item = items.get(r.person_id)
    if item is None or not sees(principal, item):
        return None, _exception(row.id, r.person_id, "not_in_list", outcome=r.outcome, card_code=r.card_code)
    if r.person_id in seen:
        reason = "listed twice in one report"
        return None, _exception(
            row.id, r.person_id, "reported_twice", outcome=r.outcome, card_code=r.card_code, reason=reason
        )
    seen.add(r.person_id)
    return item, None


def _exception_out(e: ExchangeException) -> ExceptionOut:
    return ExceptionOut(
        id=e.id,
        list_id=e.list_id,
        person_id=e.person_id,
        kind=e.kind,
        detail=e.detail,
        status=e.status,
        resolution=e.resolution,
        resolved_by=e.resolved_by,
        created_at=e.created_at,
    )


_EXPECTED = {"enrol": "issued", "renew": "issued", "change": "issued", "end": "ended"}


class _Raced(Exception):
    """A concurrent writer took a card code or a person's card-in-force slot between the reads and the writes of the
    set-wise recording."""


async def record(session: AsyncSession, principal: Principal, row: ExchangeList, results: list[ResultIn]) -> ResultsOut:
    """Apply BHXH's results. Never silently: a person not on the list (or outside the client's areas), a card code of
    the wrong group, level or office, a second card for the same person, a code already used, an outcome the item did
    not ask for, or a different result for an item already answered are kept as exceptions.

    Set-wise (a handful of statements whatever the size of the report); should a concurrent writer take a code or a
    person's card slot in between, everything is undone and the report is recorded result by result instead."""
    try:
        async with session.begin_nested():
            return await _record_set(session, principal, row, results)
    except _Raced:
        return await _record_each(session, principal, row, results)


async def _record_set(
    session: AsyncSession, principal: Principal, row: ExchangeList, results: list[ResultIn]
) -> ResultsOut:
    """:func:`record` with every read and write done for all results at once; the same decisions, in the same order,
    as :func:`_record_each` (its per-result reference)."""
    params = await parameters.load(session)
    groups = params.groups
    items = {
        i.person_id: i for i in await repository.item_states(session, row.id, list({r.person_id for r in results}))
    }
    issuing = card_code.issuing_province(clock.today())
    issuing_results = [r for r in results if r.outcome == "issued" and r.card_code]
    existing = await repository.cards_by_code(
        session, list({(r.card_code or "").strip().upper() for r in issuing_results})
    )
    asked = [r.person_id for r in issuing_results if r.person_id in items]
    merged = await repository.survivors(session, asked)
    in_force: dict[uuid.UUID, list[Any]] = {}
    for c in await repository.cards_in_force(session, list({merged.get(p, p) for p in asked})):
        in_force.setdefault(c.person_id, []).append(c)

    applied = unchanged = 0
    problems: list[ExchangeException] = []
    seen: set[uuid.UUID] = set()
    answered: list[tuple[uuid.UUID, str, str]] = []
    ends: list[tuple[uuid.UUID, date, str]] = []
    ended_events: list[tuple[str, CardEnded]] = []
    new_cards: list[dict[str, Any]] = []
    used: set[str] = set(existing)
    for r in results:
        item, problem = _listed_once(principal, row, items, seen, r)
        if problem is not None:
            problems.append(problem)
            continue
        if item.result != "pending":
            same = r.outcome != "issued" or existing.get((r.card_code or "").strip().upper(), False) == item.id
            if item.result == r.outcome and same:
                unchanged += 1
            else:
                problems.append(
                    _exception(
                        row.id,
                        r.person_id,
                        "reported_twice",
                        outcome=r.outcome,
                        card_code=r.card_code,
                        recorded=item.result,
                    )
                )
            continue
        if r.outcome == "rejected":
            answered.append((item.id, "rejected", (r.reason or "").strip()))
            applied += 1
            continue
        if r.outcome != _EXPECTED[item.action]:
            problems.append(_exception(row.id, r.person_id, "wrong_outcome", outcome=r.outcome, action=item.action))
            continue
        if r.outcome == "ended":
            answered.append((item.id, "ended", ""))
            applied += 1
            continue
        assert r.card_code is not None and r.valid_from is not None
        code = r.card_code.strip().upper()
        group = groups[item.group_code]
        wrong = card_code.problems(code, group, issuing)
        if wrong:
            problems.append(
                _exception(row.id, item.person_id, "wrong_code", card_code=code, group=item.group_code, problems=wrong)
            )
            continue
        # The item of a record merged away after the list was built gives its card to the survivor (one per person).
        owner = merged.get(item.person_id, item.person_id)
        held = in_force.get(owner, [])
        other = next((c for c in held if c.id != item.card_id), None)
        if other is not None:
            problems.append(_exception(row.id, item.person_id, "second_card", card_code=code, card_in_force=other.code))
            continue
        if code in used:
            problems.append(_exception(row.id, item.person_id, "duplicate_code", card_code=code))
            continue
        used.add(code)
        replaced = next((c for c in held if c.id == item.card_id), None)
        kind = "issued"
        if replaced is not None:
            kind = reason = "renewed" if item.action == "renew" else "changed_group"
            last = min(replaced.valid_to or date.max, r.valid_from - timedelta(days=1))
            ends.append((replaced.id, last, reason))
            ended_events.append(
                (
                    str(replaced.person_id),
                    CardEnded(**{**_card_data(replaced, groups), "valid_to": last}, reason=reason),  # type: ignore[arg-type]
                )
            )
        parsed = card_code.parse(code)
        assert parsed is not None
        card = {
            "id": uuid.uuid4(),
            "person_id": owner,
            "group_code": item.group_code,
            "code": code,
            "number": parsed.number,
            "issuing_province": parsed.province,
            "valid_from": r.valid_from,
            "valid_to": r.valid_to,
            "paid_on": r.valid_from if not group.fully_state_funded else None,
            "commune_code": item.commune_code,
            "district_code": item.district_code,
            "province_code": item.province_code,
            "list_item_id": item.id,
            "kind": kind,
            "action": item.action,
        }
        new_cards.append(card)
        in_force[owner] = [_Held(card["id"], code)]  # a later result for the same person is a second card
        answered.append((item.id, "issued", ""))
        applied += 1

    await cards.end_replaced(session, ends)
    if await cards.issue_many(session, new_cards, f"list {row.period}", "bhxh") != len(new_cards):
        raise _Raced
    await repository.set_results(session, answered)
    await EVENTS.publish_many(session, CARD_ENDED, ended_events)
    await EVENTS.publish_many(
        session,
        CARD_ISSUED,
        [
            (
                str(c["person_id"]),
                CardIssued(
                    card_id=c["id"],
                    person_id=c["person_id"],
                    group=c["group_code"],
                    benefit_level=groups[c["group_code"]].benefit_level,
                    code=c["code"],
                    number=c["number"],
                    valid_from=c["valid_from"],
                    valid_to=c["valid_to"],
                    commune_code=c["commune_code"],
                    district_code=c["district_code"],
                    province_code=c["province_code"],
                    action=c["action"],
                    list_id=row.id,
                ),
            )
            for c in new_cards
        ],
    )
    await repository.add_exceptions(session, problems)
    return ResultsOut(applied=applied, unchanged=unchanged, exceptions=[_exception_out(p) for p in problems])


@dataclass(frozen=True, slots=True)
class _Held:
    """A card issued earlier in the same report (what the second-card check needs of it)."""

    id: uuid.UUID
    code: str


def _card_data(c: Any, groups: dict[str, Any]) -> dict[str, object]:
    """:func:`..cards.service.card_data` of a plain card row."""
    group = groups.get(c.group_code)
    return {
        "card_id": c.id,
        "person_id": c.person_id,
        "group": c.group_code,
        "benefit_level": group.benefit_level if group else 0,
        "code": c.code,
        "number": c.number,
        "valid_from": c.valid_from,
        "valid_to": c.valid_to,
        "commune_code": c.commune_code,
        "district_code": c.district_code,
        "province_code": c.province_code,
    }


async def _record_each(
    session: AsyncSession, principal: Principal, row: ExchangeList, results: list[ResultIn]
) -> ResultsOut:
    """:func:`record` result by result (each card in a savepoint of its own): the fallback when a concurrent writer
    won a race the set-wise recording cannot resolve, and the reference its decisions follow."""
    params = await parameters.load(session)
    items = await repository.items_of_persons(session, row.id, [r.person_id for r in results])
    today = clock.today()
    issuing = card_code.issuing_province(today)
    applied = unchanged = 0
    problems: list[ExchangeException] = []
    seen: set[uuid.UUID] = set()
    for r in results:
        item, problem = _listed_once(principal, row, items, seen, r)
        if problem is not None:
            problems.append(problem)
            continue
        if item.result != "pending":
            if item.result == r.outcome and await _same_card(session, item, r):
                unchanged += 1
            else:
                problems.append(
                    _exception(
                        row.id,
                        r.person_id,
                        "reported_twice",
                        outcome=r.outcome,
                        card_code=r.card_code,
                        recorded=item.result,
                    )
                )
            continue
        if r.outcome == "rejected":
            await repository.set_result(session, item, "rejected", (r.reason or "").strip())
            applied += 1
            continue
        if r.outcome != _EXPECTED[item.action]:
            problems.append(_exception(row.id, r.person_id, "wrong_outcome", outcome=r.outcome, action=item.action))
            continue
        if r.outcome == "ended":
            await repository.set_result(session, item, "ended", "")
            applied += 1
            continue
        problem = await _issue(session, row, item, r, params.groups, issuing)
        if problem is not None:
            problems.append(problem)
        else:
            applied += 1
    for p in problems:
        repository.add_exception(session, p)
    await session.flush()
    return ResultsOut(applied=applied, unchanged=unchanged, exceptions=[_exception_out(p) for p in problems])


async def _same_card(session: AsyncSession, item: ExchangeItem, r: ResultIn) -> bool:
    if r.outcome != "issued":
        return True
    card = await cards_repository.by_code(session, (r.card_code or "").strip().upper())
    return card is not None and card.list_item_id == item.id


async def _issue(
    session: AsyncSession, row: ExchangeList, item: ExchangeItem, r: ResultIn, groups: dict[str, Any], issuing: str
) -> ExchangeException | None:
    assert r.card_code is not None and r.valid_from is not None
    code = r.card_code.strip().upper()
    group = groups[item.group_code]
    wrong = card_code.problems(code, group, issuing)
    if wrong:
        return _exception(row.id, item.person_id, "wrong_code", card_code=code, group=item.group_code, problems=wrong)
    # The item of a record merged away after the list was built gives its card to the survivor (one card per person).
    owner = await projection.survivor_of(session, item.person_id)
    in_force = await cards_repository.in_force(session, [owner], for_update=True)
    replaced = next((c for c in in_force if c.id == item.card_id), None)
    if any(c.id != item.card_id for c in in_force):
        return _exception(
            row.id,
            item.person_id,
            "second_card",
            card_code=code,
            card_in_force=next(c.code for c in in_force if c.id != item.card_id),
        )
    if await cards_repository.by_code(session, code) is not None:  # before the card it replaces is ended
        return _exception(row.id, item.person_id, "duplicate_code", card_code=code)
    if replaced is not None:
        kind, reason = ("renewed", "renewed") if item.action == "renew" else ("changed_group", "changed_group")
        await cards.end(
            session, replaced, min(replaced.valid_to or date.max, r.valid_from - timedelta(days=1)), reason, groups
        )
    else:
        kind = "issued"
    parsed = card_code.parse(code)
    assert parsed is not None
    card = Card(
        id=uuid.uuid4(),
        person_id=owner,
        group_code=item.group_code,
        code=code,
        number=parsed.number,
        issuing_province=parsed.province,
        valid_from=r.valid_from,
        valid_to=r.valid_to,
        paid_on=r.valid_from if not group.fully_state_funded else None,
        ended_on=None,
        end_reason="",
        commune_code=item.commune_code,
        district_code=item.district_code,
        province_code=item.province_code,
        list_item_id=item.id,
        issued_at=datetime.now(UTC),
    )
    try:
        await cards.issue(session, card, kind, f"list {row.period}", "bhxh")
    except UniqueViolation:
        return _exception(row.id, item.person_id, "duplicate_code", card_code=code)
    await repository.set_result(session, item, "issued", "")
    await EVENTS.publish(
        session,
        CARD_ISSUED,
        str(card.person_id),
        CardIssued(**cards.card_data(card, groups), action=item.action, list_id=row.id),
    )  # type: ignore[arg-type]
    return None


async def exceptions(session: AsyncSession, principal: Principal, row: ExchangeList) -> list[ExceptionOut]:
    """The list's exceptions about persons within the client's areas (all of them for a client of the province)."""
    return [_exception_out(e) for e in await repository.exceptions(session, row.id, principal.limited_to)]


async def resolve(
    session: AsyncSession, principal: Principal, exception_id: uuid.UUID, resolution: str
) -> ExceptionOut:
    e = await repository.exception(session, exception_id, principal.limited_to)
    if e is None:
        raise NotFound(f"no exception {exception_id}")
    if e.status == "resolved":
        raise ExceptionResolved(
            f"the exception was resolved by {e.resolved_by}", resolved_by=e.resolved_by, resolution=e.resolution
        )
    e.status, e.resolution, e.resolved_by = "resolved", resolution, principal.client_id
    await session.flush()
    return _exception_out(e)


async def merge(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID, card: str | None) -> int:
    """A merge, for the items BHXH has not answered yet (an ``end`` always stands). They become ``withdrawn`` (reason
    ``merged into …`` or ``carried from …``) where an answer would give the person a second card:

    - the merged record's items, when the survivor holds a card (its own, or the merged record's card carried to
      it) or is on a list itself;
    - the survivor's enrolment, when the merged record's card was carried to it.

    Otherwise the merged record's item stands, and BHXH's answer for its id gives the survivor the card. Returns how
    many items were withdrawn."""
    withdrawn = 0
    if card == "carried":
        withdrawn += await repository.withdraw_pending(
            session, survivor, f"holds the card carried from record {merged}", action="enrol"
        )
    if await repository.has_pending(session, merged) and (
        card is not None or await cards.holds_card(session, survivor) or await repository.has_pending(session, survivor)
    ):
        withdrawn += await repository.withdraw_pending(session, merged, f"merged into {survivor}")
    return withdrawn
