"""The request session (common/db.py): committed before the client hears back, rolled back on error."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from common.db import SessionDep, make_sessionmaker
from common.errors import Conflict, install_error_handlers
from common.settings import to_asyncpg_url


@pytest.fixture
async def app_and_log(test_db):
    engine = create_async_engine(to_asyncpg_url(test_db.urls["registry"]))
    log: list[str] = []
    app = FastAPI()
    app.state.sessionmaker = make_sessionmaker(engine)

    @app.post("/write")
    async def write(session: SessionDep, fail: bool = False) -> dict[str, str]:
        event.listen(session.sync_session, "after_commit", lambda _: log.append("commit"))
        event.listen(session.sync_session, "after_rollback", lambda _: log.append("rollback"))
        await session.execute(text("SELECT 1"))
        if fail:
            raise Conflict("no")
        return {"ok": "yes"}

    install_error_handlers(app)

    async def recording(scope, receive, send):  # logs when the response starts, as the client sees it
        async def logged(message):
            if message["type"] == "http.response.start":
                log.append(f"response {message['status']}")
            await send(message)

        await app(scope, receive, logged)

    yield recording, log
    await engine.dispose()


async def test_the_commit_happens_before_the_response_is_sent(app_and_log):
    app, log = app_and_log
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        assert (await http.post("/write")).status_code == 200
        assert log == ["commit", "response 200"]
        log.clear()
        assert (await http.post("/write", params={"fail": True})).status_code == 409
        assert log == ["rollback", "response 409"]


async def test_a_driver_pool_statement_is_durable_when_it_returns(test_db):
    """The coverage check's path: a pool of asyncpg connections, one statement, committed on return; a
    released connection is handed out again as it was (no reset round trip), outside any transaction."""
    import uuid

    from common.db import driver_connection, driver_pool
    from common.settings import ServiceSettings

    table = f"registry.driver_probe_{uuid.uuid4().hex}"
    settings = ServiceSettings(database_url=test_db.urls["registry"])
    engine = create_async_engine(to_asyncpg_url(test_db.urls["registry"]))
    pool = driver_pool(settings, 1)
    try:
        maker = make_sessionmaker(engine)
        async with driver_connection(maker, pool) as conn:
            await conn.execute(f"CREATE TABLE {table} (x int)")
            await conn.execute(f"INSERT INTO {table} VALUES (1)")
            async with engine.connect() as other:
                assert (await other.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 1
            first = conn.get_server_pid()
        async with driver_connection(maker, pool) as conn:
            assert conn.get_server_pid() == first and not conn.is_in_transaction()
            await conn.execute(f"DROP TABLE {table}")
    finally:
        await pool.close()
        await engine.dispose()


async def test_a_driver_connection_stays_inside_the_test_transaction(test_db):
    """Bound to a connection (tests), the driver connection is that one, inside its transaction: rolled back with it."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from common.db import driver_connection

    engine = create_async_engine(to_asyncpg_url(test_db.urls["registry"]))
    try:
        async with engine.connect() as conn:
            outer = await conn.begin()
            maker = async_sessionmaker(bind=conn)
            async with driver_connection(maker, None) as raw:
                assert raw.is_in_transaction()
                await raw.execute("CREATE TABLE registry.driver_probe_rolled_back (x int)")
            await outer.rollback()
        async with engine.connect() as other:
            found = await other.execute(text("SELECT to_regclass('registry.driver_probe_rolled_back')"))
            assert found.scalar() is None
    finally:
        await engine.dispose()


async def test_a_driver_pool_replaces_a_connection_that_broke(test_db):
    """A connection whose use failed is closed and replaced; one whose backend went away (a database restart) is
    replaced at the latest after the call that finds it gone: the calls after it work."""

    import asyncpg

    from common.db import driver_pool
    from common.settings import ServiceSettings

    settings = ServiceSettings(database_url=test_db.urls["registry"])
    pool = driver_pool(settings, 1)
    try:
        async with pool.acquire() as conn:
            first = conn.get_server_pid()
        with pytest.raises(ZeroDivisionError):
            async with pool.acquire() as conn:
                assert conn.get_server_pid() == first
                1 / 0  # noqa: B018 - the user's code fails mid-use
        async with pool.acquire() as conn:
            second = conn.get_server_pid()
        assert second != first
        killer = await asyncpg.connect(pool.dsn)
        try:
            # With a timeout, PostgreSQL answers once the backend has gone.
            assert await killer.fetchval("SELECT pg_terminate_backend($1, 30000)", second)
        finally:
            await killer.close()
        try:
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            pass  # the call that found the connection dead (unless asyncpg had already seen it close)
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT 1") == 1 and conn.get_server_pid() not in (first, second)
    finally:
        await pool.close()
