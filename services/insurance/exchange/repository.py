"""All SQL of the exchange: building a period's list set-wise, reading it in pages and chunks, results, exceptions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, Text, case, cast, func, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from common.db import in_areas

from ..models import ExchangeException, ExchangeItem, ExchangeList
from ..rules import exchange_file as spec

_NOT_PENDING = """NOT EXISTS (SELECT 1 FROM insurance.exchange_items i
                               WHERE i.person_id = {p} AND i.result = 'pending')"""
_COLUMNS = """(id, list_id, person_id, action, group_code, benefit_level, valid_from, valid_to, card_id, commune_code,
               district_code, province_code)"""

# Cards ended here (a death, a termination, a loss of status) that BHXH was not told about yet.
_END = text(f"""
    INSERT INTO insurance.exchange_items {_COLUMNS}
    SELECT gen_random_uuid(), :list, c.person_id, 'end', c.group_code, g.benefit_level, c.valid_from, c.valid_to, c.id,
           c.commune_code, c.district_code, c.province_code
    FROM insurance.cards c JOIN insurance.card_groups g ON g.code = c.group_code
    WHERE c.ended_on IS NOT NULL AND c.end_reason NOT IN ('expired', 'renewed', 'changed_group')
      AND NOT EXISTS (SELECT 1 FROM insurance.exchange_items i WHERE i.card_id = c.id AND i.action = 'end')
    ON CONFLICT (list_id, person_id) DO NOTHING""")

# A card in force whose group is no longer the one decided for the person from the period's first day.
_CHANGE = text(f"""
    INSERT INTO insurance.exchange_items {_COLUMNS}
    SELECT gen_random_uuid(), :list, c.person_id, 'change', e.group_code, g.benefit_level,
           GREATEST(e.valid_from, c.valid_from),
           CASE WHEN e.group_code = ANY(:yearly)
                THEN LEAST(GREATEST(e.valid_from, c.valid_from) + interval '12 months' - interval '1 day',
                           e.valid_until - 1)::date
                ELSE e.valid_until - 1 END,
           c.id, p.commune_code, p.district_code, p.province_code
    FROM insurance.cards c
    JOIN insurance.entitlements e ON e.person_id = c.person_id AND e.valid_from <= GREATEST(:first, c.valid_from)
         AND (e.valid_until IS NULL OR e.valid_until > GREATEST(:first, c.valid_from))
    JOIN insurance.persons p ON p.id = c.person_id
    JOIN insurance.card_groups g ON g.code = e.group_code
    WHERE c.ended_on IS NULL AND e.group_code <> c.group_code AND {_NOT_PENDING.format(p="c.person_id")}
    ON CONFLICT (list_id, person_id) DO NOTHING""")

# Part-funded 12-month cards ending within the period while the person keeps the group: continue without a gap.
_RENEW = text(f"""
    INSERT INTO insurance.exchange_items {_COLUMNS}
    SELECT gen_random_uuid(), :list, c.person_id, 'renew', c.group_code, g.benefit_level, c.valid_to + 1,
           LEAST(c.valid_to + interval '12 months', e.valid_until - 1)::date, c.id, p.commune_code, p.district_code,
           p.province_code
    FROM insurance.cards c
    JOIN insurance.entitlements e ON e.person_id = c.person_id AND e.group_code = c.group_code
         AND e.valid_from <= c.valid_to + 1 AND (e.valid_until IS NULL OR e.valid_until > c.valid_to + 1)
    JOIN insurance.persons p ON p.id = c.person_id
    JOIN insurance.card_groups g ON g.code = c.group_code
    WHERE c.ended_on IS NULL AND c.group_code = ANY(:yearly) AND c.valid_to BETWEEN :first AND :last
      AND {_NOT_PENDING.format(p="c.person_id")}
    ON CONFLICT (list_id, person_id) DO NOTHING""")

# Persons entitled during the period with no card in force: from the entitlement's start (after any earlier card).
_ENROL = text(f"""
    INSERT INTO insurance.exchange_items {_COLUMNS}
    SELECT gen_random_uuid(), :list, e.person_id, 'enrol', e.group_code, g.benefit_level, s.start,
           CASE WHEN e.group_code = ANY(:yearly)
                THEN LEAST(s.start + interval '12 months' - interval '1 day', e.valid_until - 1)::date
                ELSE e.valid_until - 1 END,
           NULL, p.commune_code, p.district_code, p.province_code
    FROM (SELECT DISTINCT ON (person_id) person_id, valid_from, valid_until, group_code FROM insurance.entitlements
          WHERE valid_from <= :last AND (valid_until IS NULL OR valid_until > :first)
          ORDER BY person_id, valid_from) e
    JOIN insurance.persons p ON p.id = e.person_id
    JOIN insurance.card_groups g ON g.code = e.group_code
    LEFT JOIN LATERAL (SELECT max(valid_to) AS last_day FROM insurance.cards c WHERE c.person_id = e.person_id) prev
         ON true
    CROSS JOIN LATERAL (SELECT GREATEST(e.valid_from, prev.last_day + 1) AS start) s
    WHERE NOT EXISTS (SELECT 1 FROM insurance.cards c WHERE c.person_id = e.person_id AND c.ended_on IS NULL)
      AND (e.valid_until IS NULL OR s.start < e.valid_until)
      AND {_NOT_PENDING.format(p="e.person_id")}
    ON CONFLICT (list_id, person_id) DO NOTHING""")

ORDER = ("end", "change", "renew", "enrol")


async def build(
    session: AsyncSession, list_id: uuid.UUID, first: date, last: date, yearly: Sequence[str]
) -> dict[str, int]:
    """Fill the list set-wise (one statement per action; a person is on a list once, the first action wins)."""
    params = {"list": list_id, "first": first, "last": last, "yearly": list(yearly)}
    counts = {}
    for action, stmt in zip(ORDER, (_END, _CHANGE, _RENEW, _ENROL), strict=True):
        result = await session.execute(stmt, params if action != "end" else {"list": list_id})
        counts[action] = result.rowcount  # type: ignore[attr-defined]
    return counts


async def lock_builds(session: AsyncSession) -> None:
    """Lists are built one at a time (a person must never land on two pending lists)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('insurance.exchange.build'))"))


async def get(session: AsyncSession, list_id: uuid.UUID) -> ExchangeList | None:
    return await session.scalar(select(ExchangeList).where(ExchangeList.id == list_id))


async def by_period(session: AsyncSession, period: str) -> ExchangeList | None:
    return await session.scalar(select(ExchangeList).where(ExchangeList.period == period))


async def lists(session: AsyncSession) -> Sequence[ExchangeList]:
    return (await session.scalars(select(ExchangeList).order_by(ExchangeList.period.desc()))).all()


def add(session: AsyncSession, row: ExchangeList) -> None:
    session.add(row)


async def items(
    session: AsyncSession,
    list_id: uuid.UUID,
    areas: Sequence[str] | None,
    action: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[Row[Any]]:
    """Items in id order (keyset), with the code of the card they change or end and the card issued for them."""
    from ..models import Card

    issued = aliased(Card)
    query = (
        select(
            ExchangeItem,
            Card.code.label("current_card"),
            issued.code.label("issued_code"),
            issued.valid_from.label("issued_from"),
            issued.valid_to.label("issued_to"),
        )
        .outerjoin(Card, Card.id == ExchangeItem.card_id)
        .outerjoin(issued, issued.list_item_id == ExchangeItem.id)
    )
    return list((await session.execute(_page_of_items(query, list_id, areas, action, after, limit))).all())


def _page_of_items(
    query: Select[Any],
    list_id: uuid.UUID,
    areas: Sequence[str] | None,
    action: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> Select[Any]:
    """A list's items in id order after ``after``, within ``areas``, of one ``action`` if given."""
    query = query.where(ExchangeItem.list_id == list_id).order_by(ExchangeItem.id).limit(limit)
    if areas is not None:
        query = query.where(in_areas(ExchangeItem, areas))
    if action is not None:
        query = query.where(ExchangeItem.action == action)
    if after is not None:
        query = query.where(ExchangeItem.id > after)
    return query


async def person_ids(session: AsyncSession, list_id: uuid.UUID) -> list[str]:
    """The persons on a list, as text (what the registry's identity read takes and answers with)."""
    rows = await session.execute(
        text("SELECT person_id::text FROM insurance.exchange_items WHERE list_id = :list ORDER BY id"),
        {"list": list_id},
    )
    return list(rows.scalars())


async def item_rows(
    session: AsyncSession,
    list_id: uuid.UUID,
    areas: Sequence[str] | None,
    action: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[Row[Any]]:
    """:func:`items` as plain rows (the columns a list file needs, no ORM objects): downloads of 100,000+ items. An
    answered item carries the card BHXH issued for it (``issued_code``, ``issued_from``, ``issued_to``), so that a file
    downloaded after some answers shows them and can be sent back as it is."""
    from ..models import Card

    i = ExchangeItem
    issued = aliased(Card)
    query = (
        select(
            i.id,
            i.person_id,
            i.action,
            i.group_code,
            i.benefit_level,
            i.valid_from,
            i.valid_to,
            i.commune_code,
            i.district_code,
            i.result,
            i.result_reason,
            Card.code.label("current_card"),
            issued.code.label("issued_code"),
            issued.valid_from.label("issued_from"),
            issued.valid_to.label("issued_to"),
        )
    ).outerjoin(Card, Card.id == i.card_id)
    query = query.outerjoin(issued, issued.list_item_id == i.id)
    return list((await session.execute(_page_of_items(query, list_id, areas, action, after, limit))).all())


def _safe(column: Any) -> Any:
    """A text cell made formula-safe by PostgreSQL, as :func:`common.tabular.safe_cell` does."""
    return case((column.regexp_match("^[-=+@\t\r]"), literal("'") + column), else_=column)


async def csv_rows(
    session: AsyncSession,
    list_id: uuid.UUID,
    areas: Sequence[str] | None,
    action: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[Row[Any]]:
    """:func:`item_rows` as a list file's cells, made by PostgreSQL: ``(id, person id as text, the cells from
    `Mã xã` to the end)`` with the Vietnamese labels, dates as DD/MM/YYYY and formula-safe text (the download's
    Python then only adds the identity cells)."""
    from ..models import Card

    i = ExchangeItem
    issued = aliased(Card)

    def dmy(column: Any) -> Any:
        return func.to_char(column, "DD/MM/YYYY")

    query = select(
        i.id,
        cast(i.person_id, Text),
        _safe(i.commune_code),
        _safe(i.district_code),
        case(spec.ACTION_LABELS, value=i.action, else_=i.action),
        _safe(i.group_code),
        i.benefit_level,
        dmy(i.valid_from),
        dmy(i.valid_to),
        _safe(Card.code),
        case(spec.OUTCOME_LABELS, value=i.result, else_=""),
        _safe(issued.code),
        dmy(issued.valid_from),
        dmy(issued.valid_to),
        _safe(func.nullif(i.result_reason, "")),
    ).outerjoin(Card, Card.id == i.card_id)
    query = query.outerjoin(issued, issued.list_item_id == i.id)
    return list((await session.execute(_page_of_items(query, list_id, areas, action, after, limit))).all())


async def items_of_persons(
    session: AsyncSession, list_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ExchangeItem]:
    rows = await session.scalars(
        select(ExchangeItem)
        .where(ExchangeItem.list_id == list_id, ExchangeItem.person_id.in_(person_ids))
        .with_for_update()
    )
    return {r.person_id: r for r in rows}


async def set_result(session: AsyncSession, item: ExchangeItem, result: str, reason: str) -> None:
    await session.execute(
        update(ExchangeItem).where(ExchangeItem.id == item.id).values(result=result, result_reason=reason)
    )
    item.result, item.result_reason = result, reason


def add_exception(session: AsyncSession, row: ExchangeException) -> None:
    session.add(row)


def _exception_in_areas(query: Select[Any], areas: Sequence[str]) -> Select[Any]:
    """Exceptions about a person whose item on the exception's list lies within ``areas`` (an exception about a
    person not on the list is seen by clients of the whole province only)."""
    return query.where(
        select(ExchangeItem.id)
        .where(
            ExchangeItem.list_id == ExchangeException.list_id,
            ExchangeItem.person_id == ExchangeException.person_id,
            in_areas(ExchangeItem, areas),
        )
        .exists()
    )


async def exceptions(
    session: AsyncSession, list_id: uuid.UUID, areas: Sequence[str] | None = None
) -> Sequence[ExchangeException]:
    query = (
        select(ExchangeException)
        .where(ExchangeException.list_id == list_id)
        .order_by(ExchangeException.created_at, ExchangeException.id)
    )
    if areas is not None:
        query = _exception_in_areas(query, areas)
    return (await session.scalars(query)).all()


async def exception(
    session: AsyncSession, exception_id: uuid.UUID, areas: Sequence[str] | None = None
) -> ExchangeException | None:
    query = select(ExchangeException).where(ExchangeException.id == exception_id).with_for_update()
    if areas is not None:
        query = _exception_in_areas(query, areas)
    return await session.scalar(query)


async def counts_in_areas(session: AsyncSession, list_ids: Sequence[uuid.UUID], areas: Sequence[str]) -> dict[Any, Any]:
    """Items per list and action within ``areas``: ``{list_id: {action: n}}`` (lists without any are absent)."""
    rows = await session.execute(
        select(ExchangeItem.list_id, ExchangeItem.action, func.count())
        .where(ExchangeItem.list_id.in_(list_ids), in_areas(ExchangeItem, areas))
        .group_by(ExchangeItem.list_id, ExchangeItem.action)
    )
    out: dict[Any, Any] = {}
    for list_id, action, n in rows:
        out.setdefault(list_id, {})[action] = n
    return out


async def withdraw_pending(session: AsyncSession, person_id: uuid.UUID, reason: str, action: str | None = None) -> int:
    """Items of ``person_id`` BHXH has not answered yet (but an ``end``; only ``action`` if given) become
    ``withdrawn`` (a later answer is an exception)."""
    stmt = update(ExchangeItem).where(
        ExchangeItem.person_id == person_id, ExchangeItem.result == "pending", ExchangeItem.action != "end"
    )
    if action is not None:
        stmt = stmt.where(ExchangeItem.action == action)
    result = await session.execute(stmt.values(result="withdrawn", result_reason=reason))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def has_pending(session: AsyncSession, person_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(ExchangeItem.id)
        .where(ExchangeItem.person_id == person_id, ExchangeItem.result == "pending", ExchangeItem.action != "end")
        .limit(1)
    )
    return found is not None


# --- results, set-wise ------------------------------------------------------------------------------------------
# A results report of 10,000 persons is read with four statements and written with a handful, whatever its size.


async def item_states(session: AsyncSession, list_id: uuid.UUID, person_ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    """The list's items of ``person_ids`` as plain rows, locked (results for one person are recorded one at a time)."""
    return list(
        (
            await session.execute(
                text("""
                SELECT id, person_id, action, group_code, card_id, result, commune_code, district_code, province_code
                FROM insurance.exchange_items
                WHERE list_id = :list AND person_id = ANY(CAST(:persons AS uuid[]))
                ORDER BY id FOR UPDATE"""),
                {"list": list_id, "persons": list(person_ids)},
            )
        ).all()
    )


async def cards_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, uuid.UUID | None]:
    """Card code → the list item it was issued for, for the codes that exist."""
    if not codes:
        return {}
    rows = await session.execute(
        text("SELECT code, list_item_id FROM insurance.cards WHERE code = ANY(CAST(:codes AS text[]))"),
        {"codes": list(codes)},
    )
    return {r.code: r.list_item_id for r in rows}


async def survivors(session: AsyncSession, person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Person → the record it was merged into, for those of ``person_ids`` merged away."""
    if not person_ids:
        return {}
    rows = await session.execute(
        text("""SELECT person_id, survivor_id FROM insurance.person_merges
                WHERE person_id = ANY(CAST(:ids AS uuid[]))"""),
        {"ids": list(person_ids)},
    )
    return {r.person_id: r.survivor_id for r in rows}


async def cards_in_force(session: AsyncSession, person_ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    """The cards in force of ``person_ids`` as plain rows, locked (as :func:`..cards.repository.in_force`)."""
    if not person_ids:
        return []
    return list(
        (
            await session.execute(
                text("""
                SELECT id, person_id, group_code, code, number, valid_from, valid_to, commune_code, district_code,
                       province_code
                FROM insurance.cards WHERE person_id = ANY(CAST(:ids AS uuid[])) AND ended_on IS NULL
                ORDER BY id FOR UPDATE"""),
                {"ids": list(person_ids)},
            )
        ).all()
    )


async def set_results(session: AsyncSession, results: Sequence[tuple[uuid.UUID, str, str]]) -> None:
    """``(item id, result, reason)`` for many items in one statement."""
    if not results:
        return
    await session.execute(
        text("""
        UPDATE insurance.exchange_items i SET result = d.result, result_reason = d.reason
        FROM unnest(CAST(:ids AS uuid[]), CAST(:results AS text[]), CAST(:reasons AS text[])) AS d(id, result, reason)
        WHERE i.id = d.id"""),
        {"ids": [r[0] for r in results], "results": [r[1] for r in results], "reasons": [r[2] for r in results]},
    )


async def add_exceptions(session: AsyncSession, rows: Sequence[ExchangeException]) -> None:
    """Exceptions in one statement (the objects are not added to the session)."""
    if not rows:
        return
    table = ExchangeException.__table__
    await session.execute(
        table.insert(),  # type: ignore[attr-defined]
        [
            {
                "id": e.id,
                "list_id": e.list_id,
                "person_id": e.person_id,
                "kind": e.kind,
                "detail": e.detail,
                "status": e.status,
                "resolution": e.resolution,
                "created_at": e.created_at,
            }
            for e in rows
        ],
    )
