"""``ansinh backup`` / ``ansinh restore``: a restored database has every payroll, ledger row and event, and the
feed's positions continue where they were."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from ansinh import backup as backups
from ansinh import database
from common.events.envelope import new_event
from common.settings import to_asyncpg_url
from common.testing import app_client
from gateway.events import repository as hub
from services.payments.app import create_app
from services.payments.settings import PaymentsSettings
from tests.services.payments.helpers import feed, period, run, schedule

SOURCE, TARGET = "ansinh_backup_src", "ansinh_backup_dst"


async def snapshot(url: str) -> dict[str, tuple[int, str]]:
    """Every table of every component's schema: its row count and a digest of its rows."""
    engine = create_async_engine(to_asyncpg_url(url))
    try:
        async with engine.connect() as conn:
            tables = (
                await conn.execute(
                    text("SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(:s) ORDER BY 1, 2"),
                    {"s": list(database.COMPONENTS)},
                )
            ).all()
            found = {}
            for schema, table in tables:
                count, digest = (
                    await conn.execute(
                        text(
                            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                            f'FROM "{schema}"."{table}" t'
                        )
                    )
                ).one()
                found[f"{schema}.{table}"] = (count, digest)
            return found
    finally:
        await engine.dispose()


@pytest.fixture
async def source(test_db):
    for name in (SOURCE, TARGET):
        await database.drop_database(test_db.admin_url, name)
    await database.bootstrap(test_db.admin_url, SOURCE, test_db.passwords)
    await database.migrate_all_async(database.component_urls(test_db.admin_url, SOURCE, test_db.passwords))
    yield database.component_urls(test_db.admin_url, SOURCE, test_db.passwords)
    for name in (SOURCE, TARGET):
        await database.drop_database(test_db.admin_url, name)


async def test_a_restored_backup_has_every_payroll_ledger_row_and_event(test_db, source, minter, tmp_path: Path):
    app = create_app(PaymentsSettings(database_url=source["payments"]))
    async with app_client(app, keys=minter, rollback=False) as http:
        await feed(app, *(schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)]) for _ in range(3)))
        payroll = await run(http, minter, "monthly_allowance", "2026-01")
    engine = create_async_engine(to_asyncpg_url(source["gateway"]))
    async with async_sessionmaker(engine)() as session, session.begin():
        await hub.store_events(
            session,
            [
                {
                    **new_event("/ansinh/registry", "registry.person.registered.v1", str(i), {"commune_code": "29236"}),
                    "sequence": 1,
                }
                for i in range(5)
            ],
        )
    await engine.dispose()
    before = await snapshot(database.with_database(test_db.admin_url, SOURCE))
    assert before["payments.payrolls"][0] == 1 and before["payments.payroll_lines"][0] == 3
    assert before["gateway.events"][0] == 5 and before["payments.ledger_entries"][0] > 0

    dump = await backups.backup(test_db.admin_url, SOURCE, tmp_path / "ansinh.dump")
    await backups.restore(test_db.admin_url, TARGET, dump, test_db.passwords)

    assert await snapshot(database.with_database(test_db.admin_url, TARGET)) == before
    # The restored database serves: the payroll reads back through the API, as its own role.
    restored = database.component_urls(test_db.admin_url, TARGET, test_db.passwords)
    app = create_app(PaymentsSettings(database_url=restored["payments"]))
    async with app_client(app, keys=minter) as http:
        r = await http.get(f"/payrolls/{payroll['id']}", headers=minter.headers("payments:read"))
        assert r.status_code == 200, r.text
        assert r.json()["totals"]["amount"] == 3 * 750_000
    # The feed continues after the restored positions: a new event is never placed before an old one.
    engine = create_async_engine(to_asyncpg_url(restored["gateway"]))
    async with async_sessionmaker(engine)() as session, session.begin():
        highest = await session.scalar(text("SELECT max(position) FROM gateway.events"))
        await hub.store_events(
            session, [{**new_event("/ansinh/registry", "registry.person.registered.v1", "new", {}), "sequence": 1}]
        )
        newest = await session.scalar(text("SELECT position FROM gateway.events WHERE subject = 'new'"))
    await engine.dispose()
    assert newest > highest


async def test_restore_refuses_an_existing_database_and_leaves_it_alone(test_db, source, tmp_path: Path):
    dump = await backups.backup(test_db.admin_url, SOURCE, tmp_path / "ansinh.dump")
    with pytest.raises(backups.BackupError, match="exists"):
        await backups.restore(test_db.admin_url, SOURCE, dump, test_db.passwords)
    assert (await snapshot(database.with_database(test_db.admin_url, SOURCE)))["payments.programmes"][0] > 0


async def test_a_damaged_backup_restores_nothing(test_db, source, tmp_path: Path):
    dump = await backups.backup(test_db.admin_url, SOURCE, tmp_path / "ansinh.dump")
    damaged = tmp_path / "damaged.dump"
    data = dump.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    with pytest.raises(backups.BackupError):
        await backups.restore(test_db.admin_url, TARGET, damaged, test_db.passwords)
    engine = create_async_engine(to_asyncpg_url(test_db.admin_url))
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": TARGET}) is None
    await engine.dispose()


async def test_a_schema_backup_holds_only_that_schema(test_db, source, tmp_path: Path):
    dump = await backups.backup(test_db.admin_url, SOURCE, tmp_path / "payments.dump", ["payments"])
    await backups.restore(test_db.admin_url, TARGET, dump, test_db.passwords)
    tables = await snapshot(database.with_database(test_db.admin_url, TARGET))
    assert tables and {name.split(".")[0] for name in tables} == {"payments"}
    with pytest.raises(backups.BackupError, match="unknown schema"):
        await backups.backup(test_db.admin_url, SOURCE, tmp_path / "x.dump", ["public"])
