"""A person's commune is a unit of ``admin_units`` (registry_0018: checked once per statement, not per row): the
same refusals the foreign key gave, for one row, for one bad row among many, for a move, and for the unit's side."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from common.settings import to_asyncpg_url

from .places import insert_units

INSERT = text("""
    INSERT INTO registry.persons (id, full_name, name_key, date_of_birth, sex, commune_code, district_code,
                                  province_code, created_by, updated_by)
    SELECT id, 'Lê Văn Tám', 'le van tam', DATE '1990-01-01', 'male', commune, '991', '99', 'test', 'test'
    FROM unnest(CAST(:ids AS uuid[]), CAST(:communes AS text[])) AS r(id, commune)
""")


@pytest.fixture
async def conn(test_db):
    """A registry connection in a transaction that is rolled back: nothing it writes stays."""
    engine = create_async_engine(to_asyncpg_url(test_db.urls["registry"]))
    async with engine.connect() as c:
        transaction = await c.begin()
        await insert_units(c)
        yield c
        await transaction.rollback()
    await engine.dispose()


def refused(exc: pytest.ExceptionInfo[IntegrityError]) -> tuple[str, str]:
    return exc.value.orig.sqlstate, str(exc.value.orig)  # type: ignore[union-attr]


async def persons(conn, ids: list[uuid.UUID]) -> int:
    return int(await conn.scalar(text("SELECT count(*) FROM registry.persons WHERE id = ANY(:ids)"), {"ids": ids}))


async def test_a_person_in_an_unknown_commune_is_refused_alone_or_among_many(conn):
    ids = [uuid.uuid4() for _ in range(500)]
    communes = ["99101"] * 499 + ["00000"]  # the last one names no unit
    savepoint = await conn.begin_nested()
    with pytest.raises(IntegrityError) as exc:
        await conn.execute(INSERT, {"ids": ids, "communes": communes})
    await savepoint.rollback()
    sqlstate, message = refused(exc)
    assert sqlstate == "23503"
    assert "fk_persons_commune_code_admin_units" in message and "00000" in message
    assert await persons(conn, ids) == 0  # the whole statement is refused
    savepoint = await conn.begin_nested()
    with pytest.raises(IntegrityError) as exc:
        await conn.execute(INSERT, {"ids": ids[:1], "communes": ["00000"]})
    await savepoint.rollback()
    assert refused(exc)[0] == "23503"
    await conn.execute(INSERT, {"ids": ids, "communes": ["99101"] * 250 + ["99201"] * 250})
    assert await persons(conn, ids) == 500


async def test_moving_a_person_to_an_unknown_commune_is_refused(conn):
    ids = [uuid.uuid4()]
    await conn.execute(INSERT, {"ids": ids, "communes": ["99101"]})
    move = text("UPDATE registry.persons SET commune_code = :c WHERE id = :id")
    savepoint = await conn.begin_nested()
    with pytest.raises(IntegrityError) as exc:
        await conn.execute(move, {"c": "00000", "id": ids[0]})
    await savepoint.rollback()
    assert refused(exc)[0] == "23503"
    await conn.execute(move, {"c": "99201", "id": ids[0]})
    where = await conn.scalar(text("SELECT commune_code FROM registry.persons WHERE id = :id"), {"id": ids[0]})
    assert where == "99201"


async def test_a_unit_that_persons_name_cannot_be_deleted_or_recoded(conn):
    await conn.execute(INSERT, {"ids": [uuid.uuid4()], "communes": ["99102"]})
    for statement in (
        "DELETE FROM registry.admin_units WHERE code = '99102'",
        "UPDATE registry.admin_units SET code = '99103' WHERE code = '99102'",
    ):
        savepoint = await conn.begin_nested()
        with pytest.raises(IntegrityError) as exc:
            await conn.execute(text(statement))
        await savepoint.rollback()
        sqlstate, message = refused(exc)
        assert sqlstate == "23503" and "99102" in message
    await conn.execute(text("UPDATE registry.admin_units SET name = 'Phường Một' WHERE code = '99102'"))
    await conn.execute(
        text(
            "INSERT INTO registry.admin_units (code, name, level, kind, parent_code, province_code, valid_from) "
            "VALUES ('99198', 'Xã Trống', 'commune', 'Xã', '991', '99', DATE '2004-01-01')"
        )
    )
    await conn.execute(text("DELETE FROM registry.admin_units WHERE code = '99198'"))  # named by no person
    assert await conn.scalar(text("SELECT count(*) FROM registry.admin_units WHERE code = '99198'")) == 0
