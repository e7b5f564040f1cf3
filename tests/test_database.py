"""One database, one schema and one role per component; roles cannot cross schemas."""

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ansinh import database
from common.migrations import diff_models_and_migrations, migration_engine
from common.settings import to_asyncpg_url
from gateway.models import Base as GatewayBase
from services.child_protection.models import Base as ChildProtectionBase
from services.insurance.models import Base as InsuranceBase
from services.payments.models import Base as PaymentsBase
from services.registry.models import Base as RegistryBase

METADATA = {
    "registry": RegistryBase.metadata,
    "payments": PaymentsBase.metadata,
    "insurance": InsuranceBase.metadata,
    "child_protection": ChildProtectionBase.metadata,
    "gateway": GatewayBase.metadata,
}


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(to_asyncpg_url(url).replace("postgresql+asyncpg", "postgresql"))


def test_every_component_has_metadata():
    assert set(METADATA) == set(database.COMPONENTS)


async def test_version_tables_live_in_their_own_schema(test_db):
    conn = await connect(test_db.admin_db_url)
    try:
        rows = await conn.fetch(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'alembic_version'"
        )
        assert sorted(r["table_schema"] for r in rows) == sorted(database.COMPONENTS)
        owners = dict(await conn.fetch("SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace"))
        for component in database.COMPONENTS:
            assert owners[component] == database.role_name(component)
    finally:
        await conn.close()


@pytest.mark.parametrize("component", database.COMPONENTS)
async def test_migrations_are_at_head_and_agree_with_models(test_db, component):
    engine = migration_engine(test_db.urls[component])
    try:
        async with engine.connect() as conn:
            version = await conn.scalar(text(f'SELECT version_num FROM "{component}".alembic_version'))
            assert version is not None
            diff = await conn.run_sync(diff_models_and_migrations, component, METADATA[component])
        assert diff == [], f"models and migrations of {component} differ: {diff}"
    finally:
        await engine.dispose()


async def test_registry_role_cannot_read_or_write_payments(test_db):
    conn = await connect(test_db.urls["registry"])
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="schema payments"):
            await conn.fetch("SELECT * FROM payments.alembic_version")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE payments.stolen (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE public.shared (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE SCHEMA sneaky")
        # …while its own schema is its to use.
        assert await conn.fetchval("SELECT current_schema()") == "registry"
    finally:
        await conn.close()


async def test_bootstrap_is_idempotent(test_db):
    await database.bootstrap(test_db.admin_url, test_db.name, test_db.passwords)
    await database.migrate_all_async(test_db.urls)
    conn = await connect(test_db.urls["gateway"])
    try:
        assert await conn.fetchval("SELECT count(*) FROM gateway.alembic_version") == 1
    finally:
        await conn.close()


def test_role_url_keeps_server_and_swaps_login():
    url = database.with_database(
        "postgresql://postgres:pw@10.0.0.5:5432/postgres", "ansinh", user="ansinh_registry", password="p@ss/word"
    )
    assert url == "postgresql://ansinh_registry:p%40ss%2Fword@10.0.0.5:5432/ansinh"
    unix = database.with_database("postgresql://postgres:@/postgres?host=/var/run/pg", "ansinh", user="r")
    parsed = make_url(unix)
    assert (parsed.username, parsed.database, parsed.query["host"]) == ("r", "ansinh", "/var/run/pg")
