"""Async SQLAlchemy 2 plumbing: metadata per schema, engines, and the request session.

Nothing below the request boundary commits: :func:`get_session` yields a session and commits after the
handler returns (rolls back on error), so a state change and its outbox event share one transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import ColumnElement, MetaData, make_url, or_, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from .settings import ServiceSettings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def in_areas(entity: Any, areas: Sequence[str]) -> ColumnElement[bool]:
    """Rows of ``entity`` (a model or alias with ``province_code``, ``district_code`` and ``commune_code``) that lie
    within ``areas`` — the SQL side of :meth:`common.auth.Principal.may_see_area`."""
    return or_(entity.province_code.in_(areas), entity.district_code.in_(areas), entity.commune_code.in_(areas))


def schema_metadata(schema: str) -> MetaData:
    """The metadata of a service's declarative base: every table in ``schema``, constraints named by
    :data:`NAMING_CONVENTION`. Each ``models.py`` declares ``class Base(DeclarativeBase): metadata =
    schema_metadata(SCHEMA)`` (a class statement, so that type checkers accept it as a base class)."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def make_engine(settings: ServiceSettings, **kw: object) -> AsyncEngine:
    return create_async_engine(
        settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # No pre-ping: it costs a database round trip on every checkout (measured: a fifth of the
        # registry's time when publishing events). Recycle instead; a connection broken by a database
        # restart fails one request, which clients retry.
        pool_recycle=300,
        **kw,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Request-scoped session; commits once after the handler, rolls back if it raised."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


class DriverPool:
    """A few asyncpg connections handed out in turn, for a hot path that runs one prepared statement a request
    without SQLAlchemy in between (no greenlet hand-off, no checkout events, no compiled-cache lookup). Statements run
    in autocommit (asyncpg opens no transaction unless asked): each commits when it returns.

    Leaner than ``asyncpg.create_pool``, whose release resets the session (``RESET ALL``, ``UNLISTEN *``…: a round
    trip) and runs in a task of its own: these connections carry no session state to reset. A connection is opened
    when first needed; one that failed or was interrupted mid-statement (an error, a cancellation) is closed and
    replaced by a new one at its next turn, so a database restart fails the calls in flight, not the ones after."""

    def __init__(self, dsn: str, size: int) -> None:
        self.dsn = dsn
        self._slots: asyncio.Queue[asyncpg.Connection | None] = asyncio.Queue()
        for _ in range(size):
            self._slots.put_nowait(None)

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        conn = await self._slots.get()
        try:
            if conn is None or conn.is_closed():
                conn = await asyncpg.connect(self.dsn)
            yield conn
        except BaseException:
            if conn is not None:
                conn.terminate()
            self._slots.put_nowait(None)
            raise
        if conn.is_in_transaction():  # left open by its user: not fit to hand out again
            conn.terminate()
            conn = None
        self._slots.put_nowait(conn)

    async def close(self) -> None:
        while not self._slots.empty():
            conn = self._slots.get_nowait()
            if conn is not None:
                await conn.close()


def driver_pool(settings: ServiceSettings, size: int) -> DriverPool:
    """A :class:`DriverPool` of ``size`` connections to the service's database (its own role and URL)."""
    return DriverPool(make_url(settings.sqlalchemy_url).set(drivername="postgresql").render_as_string(False), size)


@asynccontextmanager
async def driver_connection(
    sessionmaker: async_sessionmaker[AsyncSession], pool: DriverPool | None
) -> AsyncIterator[asyncpg.Connection]:
    """An asyncpg connection from ``pool`` (statements in autocommit: each commits when it returns). When
    ``sessionmaker`` is bound to a connection (tests: every request inside one outer transaction, rolled back at the
    end), that connection's own asyncpg connection, inside the outer transaction."""
    bind = sessionmaker.kw.get("bind")
    if isinstance(bind, AsyncConnection):
        # SQLAlchemy begins the transaction at the server with its first statement: make sure it has, so that what
        # runs on the driver's connection stays inside it (and is rolled back with it).
        await bind.execute(text("SELECT 1"))
        raw = await bind.get_raw_connection()
        yield raw.driver_connection
        return
    if pool is None:
        raise RuntimeError("driver_connection needs the pool made by driver_pool (created at start-up)")
    async with pool.acquire() as conn:
        yield conn


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
"""``scope="function"``: the commit runs when the handler returns, before the response is sent. With the
default scope FastAPI sends the response first and commits after it, so a client could be told ``201``
about a write whose commit then failed (and background tasks would run before the commit)."""


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


class UniqueViolation(Exception):
    """A unique constraint or index refused a write; the transaction is still usable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def concerns(self, constraint: str) -> bool:
        return constraint in self.message


async def flush_in_savepoint(session: AsyncSession, *objects: object) -> None:
    """Add and write ``objects`` now, in a savepoint: a unique violation (a concurrent writer got there
    first) raises :class:`UniqueViolation` and leaves the request's transaction usable, so the caller can
    still look up and name the winner. Other database errors propagate unchanged."""
    from sqlalchemy.exc import IntegrityError

    try:
        async with session.begin_nested():
            session.add_all(objects)
            await session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == "23505" or "unique" in str(exc.orig).lower():
            raise UniqueViolation(str(exc.orig)) from exc
        raise
