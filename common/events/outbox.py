"""``publish``: an event joins the caller's transaction; it leaves only if that transaction commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ..ids import uuid7_sql
from .envelope import Event
from .tables import EventTables


def notify_channel(schema: str) -> str:
    return f"{schema}_outbox"


async def publish(session: AsyncSession, tables: EventTables, envelope: dict[str, Any]) -> Event:
    """Number the event within its subject, validate it, and add it to the outbox (no commit here).

    The sequence row is locked until the transaction ends, so events of one subject are numbered in
    commit order with no gaps (a rolled-back transaction gives its number back). One statement does
    the numbering, the insert and the NOTIFY (transactional: the relay wakes only if this commits).
    """
    event = Event.model_validate({**envelope, "sequence": 1})  # everything checked but the number
    seq, outbox = tables.sequences, tables.outbox
    channel = notify_channel(outbox.schema or "public")
    number = await session.scalar(
        text(f"""
        WITH seq AS (
            INSERT INTO {seq.schema}.{seq.name} (subject, last) VALUES (:subject, 1)
            ON CONFLICT (subject) DO UPDATE SET last = {seq.name}.last + 1
            RETURNING last
        )
        INSERT INTO {outbox.schema}.{outbox.name} (event_id, type, subject, sequence, envelope)
        SELECT :event_id, :type, :subject, seq.last,
               jsonb_set(CAST(:envelope AS jsonb), '{{sequence}}', to_jsonb(seq.last))
        FROM seq CROSS JOIN (SELECT pg_notify(:channel, '')) AS wake
        RETURNING sequence
    """),
        {
            "subject": event.subject,
            "event_id": event.id,
            "type": event.type,
            "channel": channel,
            "envelope": event.model_dump_json(),
        },
    )
    return event.model_copy(update={"sequence": number})


async def publish_many(session: AsyncSession, tables: EventTables, envelopes: Sequence[dict[str, Any]]) -> int:
    """The set-based :func:`publish`: add every event to the outbox in one statement (no commit here).

    Same guarantees as publishing them one by one in this order: each subject's events are numbered
    after the numbers it already has, in the order given, with no gaps. The sequence rows are locked in
    subject order, so two batches sharing subjects cannot deadlock. Returns how many were added.
    """
    if not envelopes:
        return 0
    events = [Event.model_validate({**e, "sequence": 1}) for e in envelopes]  # all checked before any write
    seq, outbox = tables.sequences, tables.outbox
    await session.execute(
        text(f"""
        WITH ev AS (
            SELECT * FROM unnest(CAST(:event_ids AS uuid[]), CAST(:types AS text[]), CAST(:subjects AS text[]),
                                 CAST(:envelopes AS text[]))
                          WITH ORDINALITY AS e(event_id, type, subject, envelope, ord)
        ), counts AS (
            SELECT subject, count(*)::int AS n FROM ev GROUP BY subject
        ), seq AS (
            INSERT INTO {seq.schema}.{seq.name} (subject, last)
            SELECT subject, n FROM counts ORDER BY subject
            ON CONFLICT (subject) DO UPDATE SET last = {seq.name}.last + EXCLUDED.last
            RETURNING subject, last
        ), numbered AS (
            SELECT ev.*, (seq.last - counts.n + row_number() OVER (PARTITION BY ev.subject ORDER BY ev.ord))::int
                   AS sequence
            FROM ev JOIN counts USING (subject) JOIN seq USING (subject)
        )
        INSERT INTO {outbox.schema}.{outbox.name} (event_id, type, subject, sequence, envelope)
        SELECT event_id, type, subject, sequence, jsonb_set(CAST(envelope AS jsonb), '{{sequence}}', to_jsonb(sequence))
        FROM numbered CROSS JOIN (SELECT pg_notify(:channel, '')) AS wake
        ORDER BY ord
    """),
        {
            "event_ids": [e.id for e in events],
            "types": [e.type for e in events],
            "subjects": [e.subject for e in events],
            "envelopes": [e.model_dump_json() for e in events],
            "channel": notify_channel(outbox.schema or "public"),
        },
    )
    return len(events)


def _envelope(prefix: str, sequence: str) -> str:
    """SQL of the CloudEvents envelope of an event row (its ``event_id``, ``subject`` and ``data`` columns under
    ``prefix``), as every publishing statement of :func:`publish_sql` builds it; ``sequence``: the SQL of its number."""
    return (
        f"jsonb_build_object('specversion', '1.0', 'id', {prefix}event_id, 'source', CAST(:_ev_source AS text), "
        f"'type', CAST(:_ev_type AS text), 'subject', {prefix}subject, "
        "'time', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
        f"'datacontenttype', 'application/json', 'sequence', {sequence}, 'data', {prefix}data)"
    )


def publish_sql(
    tables: EventTables,
    source: str,
    type_: str,
    rows: str,
    *,
    one_per_subject: bool = False,
    new_subjects: bool = False,
) -> tuple[str, dict[str, Any]]:
    """The set-based publish of events whose envelopes PostgreSQL builds itself, for bulk paths that write the
    events' records in the same statement (a million ``model_dump_json`` calls cost more than the inserts).

    ``rows`` names a CTE (or is a parenthesised subquery) with columns ``subject`` (text), ``data`` (jsonb: the
    catalogued model's JSON form, which the caller's test checks against the model) and ``ord`` (the order of
    publication). Returns SQL to append to the caller's ``WITH`` list (it starts with a comma; its last CTE,
    ``_published``, is the outbox insert, which PostgreSQL runs whether or not the final query reads it) and its
    parameters. Same guarantees as :func:`publish_many`: per-subject numbers after those already given, in ``ord``
    order, no gaps; one NOTIFY.

    ``one_per_subject``: the caller guarantees that no subject appears twice in ``rows`` (a bulk insert of new records,
    one event each; a repeated subject fails the statement). Each subject's number is then its previous one plus one,
    without counting and numbering events per subject (a third less work for the database on an import).

    ``new_subjects``: more than that, every subject of ``rows`` is new — it has no event yet (the records the same
    statement inserts, under ids just made) — and ``ord`` is a distinct integer per row. Each event is then number 1
    of its subject, and its sequence row is a plain insert (a subject with events already, or named twice, fails the
    statement): no lookup of earlier numbers, no join and no sort of the events. Their ids are time-ordered (UUID
    version 7, :func:`..ids.uuid7_sql` of ``ord``: one random draw per statement instead of one per event, and the
    outbox's event-id index filled at its right edge); the order of publication is the order ``rows`` yields them
    (among new subjects, each with one event, no order is promised).
    """
    # The type and source as the envelope model checks them (the rest PostgreSQL builds in the documented shape).
    Event.model_validate(
        {
            "id": "00000000-0000-0000-0000-000000000000",
            "source": source,
            "type": type_,
            "subject": "x",
            "time": "2026-01-01T00:00:00Z",
            "sequence": 1,
            "data": {},
        }
    )
    seq, outbox = tables.sequences, tables.outbox
    if new_subjects:
        sql = f"""
        , _seq AS (
            INSERT INTO {seq.schema}.{seq.name} (subject, last)
            SELECT r.subject, 1 FROM {rows} r
            RETURNING 1
        ), _published AS (
            INSERT INTO {outbox.schema}.{outbox.name} (event_id, type, subject, sequence, envelope)
            SELECT e.event_id, CAST(:_ev_type AS text), e.subject, 1, {_envelope("e.", "1")}
            FROM (SELECT {uuid7_sql("r.ord")} AS event_id, r.subject, r.data FROM {rows} r) AS e
            CROSS JOIN (SELECT pg_notify(:_ev_channel, '')) AS wake
            RETURNING subject
        )
    """
        return sql, {"_ev_type": type_, "_ev_source": source, "_ev_channel": notify_channel(outbox.schema or "public")}
    if one_per_subject:
        sql = f"""
        , _ev AS (
            SELECT gen_random_uuid() AS event_id, r.subject, r.data, r.ord FROM {rows} r
        ), _seq AS (
            INSERT INTO {seq.schema}.{seq.name} (subject, last)
            SELECT subject, 1 FROM _ev ORDER BY subject
            ON CONFLICT (subject) DO UPDATE SET last = {seq.name}.last + 1
            RETURNING subject, last
        ), _published AS (
            INSERT INTO {outbox.schema}.{outbox.name} (event_id, type, subject, sequence, envelope)
            SELECT event_id, CAST(:_ev_type AS text), subject, last, {_envelope("", "last")}
            FROM _ev JOIN _seq USING (subject) CROSS JOIN (SELECT pg_notify(:_ev_channel, '')) AS wake
            ORDER BY ord
            RETURNING subject
        )
    """
        return sql, {"_ev_type": type_, "_ev_source": source, "_ev_channel": notify_channel(outbox.schema or "public")}
    sql = f"""
        , _ev AS (
            SELECT gen_random_uuid() AS event_id, r.subject, r.data, r.ord FROM {rows} r
        ), _counts AS (
            SELECT subject, count(*)::int AS n FROM _ev GROUP BY subject
        ), _seq AS (
            INSERT INTO {seq.schema}.{seq.name} (subject, last)
            SELECT subject, n FROM _counts ORDER BY subject
            ON CONFLICT (subject) DO UPDATE SET last = {seq.name}.last + EXCLUDED.last
            RETURNING subject, last
        ), _numbered AS (
            SELECT _ev.*, (_seq.last - _counts.n + row_number() OVER (PARTITION BY _ev.subject ORDER BY _ev.ord))::int
                   AS sequence
            FROM _ev JOIN _counts USING (subject) JOIN _seq USING (subject)
        ), _published AS (
            INSERT INTO {outbox.schema}.{outbox.name} (event_id, type, subject, sequence, envelope)
            SELECT event_id, CAST(:_ev_type AS text), subject, sequence, {_envelope("", "sequence")}
            FROM _numbered CROSS JOIN (SELECT pg_notify(:_ev_channel, '')) AS wake
            ORDER BY ord
            RETURNING subject
        )
    """
    return sql, {"_ev_type": type_, "_ev_source": source, "_ev_channel": notify_channel(outbox.schema or "public")}
