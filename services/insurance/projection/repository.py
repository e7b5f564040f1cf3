"""All SQL of the projection: registry facts as insurance keeps them, and the queue of persons to decide again.

Each statement writes the fact and queues the person in one round trip (the enrolment of 100,000+ children goes
through here, one event at a time)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from .schemas import Areas

_ID = "CAST(:person_id AS uuid)"

_QUEUE = """INSERT INTO insurance.pending_decisions (person_id, reason) SELECT id, :reason FROM p
    ON CONFLICT (person_id) DO UPDATE SET reason = CASE WHEN EXCLUDED.reason = '' THEN pending_decisions.reason
        ELSE EXCLUDED.reason END"""

# A fact about a record merged away that arrives after the merge (another aggregate's event, e.g. a beneficiary
# decision published before the merge and delivered after it) belongs to the survivor.
_SURVIVOR = f"COALESCE((SELECT m.survivor_id FROM insurance.person_merges m WHERE m.person_id = {_ID}), {_ID})"

_REGISTERED = text(f"""
    WITH p AS (
        INSERT INTO insurance.persons AS x (id, date_of_birth, sex, commune_code, district_code, province_code,
                                             registered_on)
        VALUES (:id, :dob, :sex, :commune, :district, :province, :registered_on)
        ON CONFLICT (id) DO UPDATE SET registered_on = COALESCE(x.registered_on, EXCLUDED.registered_on),
            date_of_birth = EXCLUDED.date_of_birth, sex = EXCLUDED.sex, updated_at = now()
        RETURNING id
    ) {_QUEUE}""")

_UPDATED = text(f"""
    WITH p AS (
        INSERT INTO insurance.persons AS x (id, date_of_birth, sex, commune_code, district_code, province_code)
        VALUES (:id, :dob, :sex, :commune, :district, :province)
        ON CONFLICT (id) DO UPDATE SET date_of_birth = COALESCE(:dob, x.date_of_birth), sex = COALESCE(:sex, x.sex),
            commune_code = EXCLUDED.commune_code, district_code = EXCLUDED.district_code,
            province_code = EXCLUDED.province_code, updated_at = now()
        RETURNING id
    ) {_QUEUE}""")

_DIED = text(f"""
    WITH p AS (
        INSERT INTO insurance.persons AS x (id, date_of_birth, sex, commune_code, district_code, province_code,
                                             death_date)
        VALUES (:id, :dob, '', :commune, :district, :province, :death_date)
        ON CONFLICT (id) DO UPDATE SET death_date = EXCLUDED.death_date, updated_at = now()
        RETURNING id
    ) {_QUEUE}""")

_KNOWN = text("""
    INSERT INTO insurance.persons (id, date_of_birth, sex, commune_code, district_code, province_code)
    VALUES (:id, :dob, '', :commune, :district, :province) ON CONFLICT (id) DO NOTHING""")

_STEP = text(f"""
    WITH s AS (
        INSERT INTO insurance.beneficiary_steps (beneficiary_id, person_id, kind, effective, sequence)
        VALUES (:beneficiary_id, {_SURVIVOR}, :kind, :effective, :sequence)
        ON CONFLICT (beneficiary_id, sequence) DO NOTHING RETURNING person_id
    ), p AS (SELECT person_id AS id FROM s) {_QUEUE}""")

_STATUS = text(f"""
    WITH s AS (
        INSERT INTO insurance.household_statuses AS x (household_id, valid_from, status, sequence)
        VALUES (:household_id, :valid_from, :status, :sequence)
        ON CONFLICT (household_id, valid_from) DO UPDATE SET status = EXCLUDED.status, sequence = EXCLUDED.sequence
        WHERE x.sequence < EXCLUDED.sequence
        RETURNING household_id
    ), p AS (SELECT DISTINCT m.person_id AS id FROM insurance.household_members m JOIN s USING (household_id))
    {_QUEUE}""")

_JOINED = text(f"""
    WITH m AS (
        INSERT INTO insurance.household_members (household_id, person_id, joined_on)
        VALUES (:household_id, {_SURVIVOR}, :joined_on) ON CONFLICT DO NOTHING RETURNING person_id
    ), p AS (SELECT person_id AS id FROM m) {_QUEUE}""")

_LEFT = text(f"""
    WITH m AS (
        UPDATE insurance.household_members SET left_on = :left_on
        WHERE (household_id, person_id, joined_on) = (
            SELECT household_id, person_id, joined_on FROM insurance.household_members
            WHERE household_id = :household_id AND person_id = {_SURVIVOR} AND joined_on <= :left_on
            ORDER BY joined_on DESC LIMIT 1)
        RETURNING person_id
    ), p AS (SELECT person_id AS id FROM m) {_QUEUE}""")


def _areas(data: Areas) -> dict[str, object]:
    return {"commune": data.commune_code, "district": data.district_code, "province": data.province_code}


async def registered(
    session: AsyncSession, person_id: uuid.UUID, dob: date, sex: str, areas: dict[str, object], registered_on: date
) -> None:
    await session.execute(
        _REGISTERED, {"id": person_id, "dob": dob, "sex": sex, "registered_on": registered_on, "reason": "", **areas}
    )


async def updated(
    session: AsyncSession, person_id: uuid.UUID, dob: date | None, sex: str | None, areas: dict[str, object]
) -> None:
    await session.execute(_UPDATED, {"id": person_id, "dob": dob, "sex": sex, "reason": "", **areas})


async def died(
    session: AsyncSession, person_id: uuid.UUID, dob: date, death_date: date, areas: dict[str, object]
) -> None:
    await session.execute(_DIED, {"id": person_id, "dob": dob, "death_date": death_date, "reason": "death", **areas})


async def ensure_person(session: AsyncSession, person_id: uuid.UUID, dob: date, areas: dict[str, object]) -> None:
    """A beneficiary whose registration insurance has not received (yet): known with what the event carries."""
    await session.execute(_KNOWN, {"id": person_id, "dob": dob, **areas})


async def beneficiary_step(
    session: AsyncSession,
    beneficiary_id: uuid.UUID,
    person_id: uuid.UUID,
    kind: str,
    effective: date,
    sequence: int,
    reason: str,
) -> None:
    await session.execute(
        _STEP,
        {
            "beneficiary_id": beneficiary_id,
            "person_id": person_id,
            "kind": kind,
            "effective": effective,
            "sequence": sequence,
            "reason": reason,
        },
    )


async def poverty_status(
    session: AsyncSession, household_id: uuid.UUID, valid_from: date, status: str, sequence: int
) -> None:
    await session.execute(
        _STATUS,
        {"household_id": household_id, "valid_from": valid_from, "status": status, "sequence": sequence, "reason": ""},
    )


async def joined(session: AsyncSession, household_id: uuid.UUID, person_id: uuid.UUID, joined_on: date) -> None:
    await session.execute(
        _JOINED, {"household_id": household_id, "person_id": person_id, "joined_on": joined_on, "reason": ""}
    )


async def left(session: AsyncSession, household_id: uuid.UUID, person_id: uuid.UUID, left_on: date) -> None:
    await session.execute(
        _LEFT, {"household_id": household_id, "person_id": person_id, "left_on": left_on, "reason": ""}
    )


areas = _areas


async def person_areas(session: AsyncSession, person_id: uuid.UUID) -> tuple[str, str, str] | None:
    row = (
        await session.execute(
            text("""
        SELECT commune_code, district_code, province_code FROM insurance.persons WHERE id = :id"""),
            {"id": person_id},
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


# --- set-based forms, for a run of events of one type (``Inbox.apply_many``): the same writes and the same queueing,
# one statement for the run. A run never names a person twice (the inbox splits it), so no upsert touches a row twice.

_REGISTERED_MANY = text(f"""
    WITH p AS (
        INSERT INTO insurance.persons AS x (id, date_of_birth, sex, commune_code, district_code, province_code,
                                             registered_on)
        SELECT * FROM unnest(CAST(:id AS uuid[]), CAST(:dob AS date[]), CAST(:sex AS text[]),
                             CAST(:commune AS text[]), CAST(:district AS text[]), CAST(:province AS text[]),
                             CAST(:registered_on AS date[]))
        ON CONFLICT (id) DO UPDATE SET registered_on = COALESCE(x.registered_on, EXCLUDED.registered_on),
            date_of_birth = EXCLUDED.date_of_birth, sex = EXCLUDED.sex, updated_at = now()
        RETURNING id
    ) {_QUEUE}""")

_KNOWN_MANY = text("""
    INSERT INTO insurance.persons (id, date_of_birth, sex, commune_code, district_code, province_code)
    SELECT id, dob, '', commune, district, province
    FROM unnest(CAST(:id AS uuid[]), CAST(:dob AS date[]), CAST(:commune AS text[]), CAST(:district AS text[]),
                CAST(:province AS text[])) AS v(id, dob, commune, district, province)
    ON CONFLICT (id) DO NOTHING""")

_STEPS_MANY = text(f"""
    WITH s AS (
        INSERT INTO insurance.beneficiary_steps (beneficiary_id, person_id, kind, effective, sequence)
        SELECT b, COALESCE(m.survivor_id, p), :kind, e, q
        FROM unnest(CAST(:beneficiary_id AS uuid[]), CAST(:person_id AS uuid[]), CAST(:effective AS date[]),
                    CAST(:sequence AS int[])) AS v(b, p, e, q)
        LEFT JOIN insurance.person_merges m ON m.person_id = v.p
        ON CONFLICT (beneficiary_id, sequence) DO NOTHING RETURNING person_id
    ), p AS (SELECT person_id AS id FROM s) {_QUEUE}""")


_JOINED_MANY = text(f"""
    WITH m AS (
        INSERT INTO insurance.household_members (household_id, person_id, joined_on)
        SELECT h, COALESCE(g.survivor_id, v.p), j
        FROM unnest(CAST(:household_id AS uuid[]), CAST(:person_id AS uuid[]), CAST(:joined_on AS date[])) AS v(h, p, j)
        LEFT JOIN insurance.person_merges g ON g.person_id = v.p
        ON CONFLICT DO NOTHING RETURNING person_id
    ), p AS (SELECT DISTINCT person_id AS id FROM m) {_QUEUE}""")


async def joined_many(session: AsyncSession, rows: list[tuple[uuid.UUID, uuid.UUID, date]]) -> None:
    """:func:`joined` for many persons (each once): (household, person, day joined)."""
    await session.execute(
        _JOINED_MANY,
        {
            "household_id": [r[0] for r in rows],
            "person_id": [r[1] for r in rows],
            "joined_on": [r[2] for r in rows],
            "reason": "",
        },
    )


async def registered_many(session: AsyncSession, rows: list[tuple[uuid.UUID, date, str, Areas, date]]) -> None:
    """:func:`registered` for many persons (each once): (person, birth date, sex, areas, registration day)."""
    await session.execute(
        _REGISTERED_MANY,
        {
            "id": [r[0] for r in rows],
            "dob": [r[1] for r in rows],
            "sex": [r[2] for r in rows],
            "commune": [r[3].commune_code for r in rows],
            "district": [r[3].district_code for r in rows],
            "province": [r[3].province_code for r in rows],
            "registered_on": [r[4] for r in rows],
            "reason": "",
        },
    )


async def ensure_persons(session: AsyncSession, rows: list[tuple[uuid.UUID, date, Areas]]) -> None:
    """:func:`ensure_person` for many persons."""
    if rows:
        await session.execute(
            _KNOWN_MANY,
            {
                "id": [r[0] for r in rows],
                "dob": [r[1] for r in rows],
                "commune": [r[2].commune_code for r in rows],
                "district": [r[2].district_code for r in rows],
                "province": [r[2].province_code for r in rows],
            },
        )


async def beneficiary_steps(
    session: AsyncSession, kind: str, rows: list[tuple[uuid.UUID, uuid.UUID, date, int]], reason: str
) -> None:
    """:func:`beneficiary_step` for many decisions of one kind (each about another person): (beneficiary,
    person, effective day, sequence)."""
    await session.execute(
        _STEPS_MANY,
        {
            "kind": kind,
            "beneficiary_id": [r[0] for r in rows],
            "person_id": [r[1] for r in rows],
            "effective": [r[2] for r in rows],
            "sequence": [r[3] for r in rows],
            "reason": reason,
        },
    )


async def store_digests(session: AsyncSession, digests: Mapping[uuid.UUID | str, str]) -> None:
    if not digests:
        return
    # A national ID corrected in the registry may move: the digest follows it to the person who holds it now.
    await session.execute(
        text("""
        UPDATE insurance.persons SET national_id_digest = NULL
        WHERE national_id_digest = ANY(CAST(:digests AS text[])) AND NOT id = ANY(CAST(:ids AS uuid[]))"""),
        {"ids": list(digests), "digests": list(digests.values())},
    )
    await session.execute(
        text("""
        UPDATE insurance.persons p SET national_id_digest = d.digest
        FROM unnest(CAST(:ids AS uuid[]), CAST(:digests AS text[])) AS d(id, digest)
        WHERE p.id = d.id AND p.national_id_digest IS DISTINCT FROM d.digest"""),
        {"ids": list(digests), "digests": list(digests.values())},
    )


# --- merges (``registry.person.merged.v1``) ----------------------------------------------------------------------

_MERGE = text("""
    WITH chained AS (  -- a record merged earlier into the one now merged away follows it to the survivor
        UPDATE insurance.person_merges SET survivor_id = :survivor WHERE survivor_id = :merged
    )
    INSERT INTO insurance.person_merges (person_id, survivor_id) VALUES (:merged, :survivor)
    ON CONFLICT (person_id) DO NOTHING RETURNING person_id""")

# The survivor known only through the record merged away (its registration not received yet): the same person, so
# the same birth date, sex and registration day.
_SURVIVOR_ROW = text("""
    INSERT INTO insurance.persons (id, date_of_birth, sex, commune_code, district_code, province_code, registered_on,
                                   death_date)
    SELECT :survivor, date_of_birth, sex, :commune, :district, :province, registered_on, death_date
    FROM insurance.persons WHERE id = :merged
    ON CONFLICT (id) DO UPDATE SET registered_on = LEAST(insurance.persons.registered_on, EXCLUDED.registered_on)""")

_MOVE_STEPS = text("UPDATE insurance.beneficiary_steps SET person_id = :survivor WHERE person_id = :merged")

_MOVE_MEMBERS = text("""
    WITH gone AS (
        DELETE FROM insurance.household_members WHERE person_id = :merged
        RETURNING household_id, joined_on, left_on
    )
    INSERT INTO insurance.household_members (household_id, person_id, joined_on, left_on)
    SELECT household_id, :survivor, joined_on, left_on FROM gone
    ON CONFLICT DO NOTHING""")

_QUEUE_SURVIVOR = text("""
    INSERT INTO insurance.pending_decisions (person_id, reason) VALUES (:survivor, '')
    ON CONFLICT (person_id) DO NOTHING""")


async def merge(session: AsyncSession, merged: uuid.UUID, survivor: uuid.UUID, areas: dict[str, object]) -> bool:
    """Record that ``merged`` is ``survivor`` and move its facts (decisions on its beneficiary, household
    memberships) to the survivor, queued for a new decision. False (nothing written) when already recorded."""
    new = await session.scalar(_MERGE, {"merged": merged, "survivor": survivor})
    if new is None:
        return False
    params = {"merged": merged, "survivor": survivor}
    await session.execute(_SURVIVOR_ROW, {**params, **areas})
    await session.execute(_MOVE_STEPS, params)
    await session.execute(_MOVE_MEMBERS, params)
    await session.execute(_QUEUE_SURVIVOR, params)
    return True


async def survivor_of(session: AsyncSession, person_id: uuid.UUID) -> uuid.UUID:
    """The record ``person_id`` now is (itself unless it was merged away)."""
    found = await session.scalar(
        text("SELECT survivor_id FROM insurance.person_merges WHERE person_id = :id"), {"id": person_id}
    )
    return found if found is not None else person_id
