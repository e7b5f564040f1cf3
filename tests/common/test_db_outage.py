"""A database that restarts, fails over or cannot be reached answers 503 ``database-unavailable`` with
``Retry-After`` — never 500 — and leaves nothing half-written. The connections are really terminated
(``pg_terminate_backend`` from an administrator's connection), in the middle of a request and at its commit."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from common.db import SessionDep, make_sessionmaker
from common.errors import database_unavailable, install_error_handlers
from common.settings import to_asyncpg_url
from common.testing import app_client
from services.registry.app import create_app as registry_app
from services.registry.settings import RegistrySettings

PROBE = "registry.outage_probe"


@pytest.fixture
async def admin(test_db):
    engine = create_async_engine(to_asyncpg_url(test_db.admin_db_url), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        yield conn
    await engine.dispose()


async def terminate(admin, pid: int) -> None:
    assert (await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})).scalar() is True


@pytest.fixture
async def probe_app(test_db, admin):
    """A route that writes two rows in one transaction, with hooks that kill its connection at a chosen point."""
    engine = create_async_engine(to_asyncpg_url(test_db.urls["registry"]))
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE IF NOT EXISTS {PROBE} (tag text NOT NULL)"))
    app = FastAPI()
    app.state.sessionmaker = make_sessionmaker(engine)
    install_error_handlers(app)

    @app.post("/write")
    async def write(session: SessionDep, tag: str, kill: str = "", read_only: bool = False) -> dict[str, str]:
        if read_only:  # what a standby promoted in a failover answers to a write
            await session.execute(text("SET TRANSACTION READ ONLY"))
        await session.execute(text(f"INSERT INTO {PROBE} VALUES (:t)"), {"t": tag})
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        if kill == "before-second-write":
            await terminate(admin, pid)
        await session.execute(text(f"INSERT INTO {PROBE} VALUES (:t)"), {"t": tag})
        if kill == "before-commit":  # the handler is done; the session dependency's commit meets a dead connection
            await terminate(admin, pid)
        return {"ok": tag}

    yield app
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE IF EXISTS {PROBE}"))
    await engine.dispose()


async def rows(admin, tag: str) -> int:
    return (await admin.execute(text(f"SELECT count(*) FROM {PROBE} WHERE tag = :t"), {"t": tag})).scalar_one()


def assert_503(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/database-unavailable")
    assert int(r.headers["retry-after"]) >= 1


@pytest.mark.parametrize("kill", ["before-second-write", "before-commit"])
async def test_a_connection_lost_mid_request_or_at_commit_is_503_and_nothing_is_written(probe_app, admin, kill):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=probe_app), base_url="http://t") as http:
        tag = uuid.uuid4().hex
        assert_503(await http.post("/write", params={"tag": tag, "kill": kill}))
        assert await rows(admin, tag) == 0
        # The pool reconnects: the retry succeeds, whole.
        r = await http.post("/write", params={"tag": tag})
        assert r.status_code == 200 and await rows(admin, tag) == 2


async def test_a_write_refused_by_a_read_only_server_is_503(probe_app, admin):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=probe_app), base_url="http://t") as http:
        tag = uuid.uuid4().hex
        assert_503(await http.post("/write", params={"tag": tag, "read_only": True}))
        assert await rows(admin, tag) == 0


async def test_a_database_that_refuses_connections_is_503():
    from common.testing import free_port

    engine = create_async_engine(f"postgresql+asyncpg://nobody:x@127.0.0.1:{free_port()}/none")
    app = FastAPI()
    app.state.sessionmaker = make_sessionmaker(engine)
    install_error_handlers(app)

    @app.get("/read")
    async def read(session: SessionDep) -> dict[str, int]:
        return {"one": (await session.execute(text("SELECT 1"))).scalar_one()}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        assert_503(await http.get("/read"))
    await engine.dispose()


async def test_a_service_whose_connections_were_terminated_answers_503_then_recovers(test_db, admin, minter):
    """A real service (the registry) after a database restart: its pooled connections are dead."""
    app = registry_app(RegistrySettings(database_url=test_db.urls["registry"]))
    async with app_client(app, rollback=False, keys=minter) as http:
        pids: list[int] = []
        event.listen(
            app.state.engine.sync_engine,
            "connect",
            lambda conn, _: pids.append(conn.driver_connection.get_server_pid()),
        )
        auth = minter.headers("registry:read")
        assert (await http.get("/persons", params={"limit": 1}, headers=auth)).status_code == 200
        assert pids
        for pid in pids:
            await terminate(admin, pid)
        assert_503(await http.get("/persons", params={"limit": 1}, headers=auth))
        assert (await http.get("/persons", params={"limit": 1}, headers=auth)).status_code == 200


def test_what_counts_as_unavailable():
    import asyncpg
    from sqlalchemy.exc import DBAPIError, IntegrityError

    assert database_unavailable(ConnectionRefusedError())
    assert database_unavailable(asyncpg.AdminShutdownError("terminating connection due to administrator command"))
    assert database_unavailable(asyncpg.CannotConnectNowError("the database system is starting up"))
    assert database_unavailable(asyncpg.ReadOnlySQLTransactionError("read-only transaction"))
    wrapped = DBAPIError("COMMIT", None, asyncpg.ConnectionDoesNotExistError("connection was closed"))
    assert database_unavailable(wrapped)
    # The request's or the code's fault stays what it was.
    assert not database_unavailable(IntegrityError("INSERT", None, asyncpg.UniqueViolationError("duplicate")))
    assert not database_unavailable(asyncpg.UndefinedTableError("no such table"))
    assert not database_unavailable(ValueError("x"))
