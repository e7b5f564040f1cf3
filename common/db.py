"""Async SQLAlchemy 2 plumbing: metadata per schema, engines, and the request session.

Nothing below the request boundary commits: :func:`get_session` yields a session and commits after the
handler returns (rolls back on error), so a state change and its outbox event share one transaction.
"""

from __future__ import annotations

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


@asynccontextmanager
async def autocommit(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncConnection]:
    """A connection whose statements commit one by one (no BEGIN, no COMMIT: one round trip a statement), for a
    request whose only write is one statement, atomic by itself (a lookup and its audit row in one ``WITH``). When
    ``sessionmaker`` is bound to a connection (tests: every request inside one outer transaction, rolled back at
    the end), that connection is used as it is."""
    bind = sessionmaker.kw.get("bind")
    if isinstance(bind, AsyncConnection):
        yield bind
        return
    if not isinstance(bind, AsyncEngine):
        raise TypeError("autocommit needs a sessionmaker bound to an engine or a connection")
    async with bind.connect() as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")


async def _nothing_to_reset(_conn: asyncpg.Connection) -> None:
    """The pool's own reset (``RESET ALL``, ``UNLISTEN *``, … : one round trip on every release) is for connections
    whose users may change session state; :func:`driver_pool`'s users run single statements and change none."""


async def driver_pool(settings: ServiceSettings, size: int) -> asyncpg.Pool:
    """A small asyncpg pool beside the engine's, for a hot path that runs one prepared statement a request without
    SQLAlchemy in between (no greenlet hand-off, no checkout events, no compiled-cache lookup). Its statements run
    in autocommit (asyncpg opens no transaction unless asked): each commits when it returns. Released connections
    are not reset (see :func:`_nothing_to_reset`); an open transaction would still be rolled back by asyncpg."""
    dsn = make_url(settings.sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    return await asyncpg.create_pool(dsn, min_size=1, max_size=size, reset=_nothing_to_reset)


@asynccontextmanager
async def driver_connection(
    sessionmaker: async_sessionmaker[AsyncSession], pool: asyncpg.Pool | None
) -> AsyncIterator[asyncpg.Connection]:
    """An asyncpg connection from ``pool`` (statements in autocommit, as :func:`autocommit`). When ``sessionmaker``
    is bound to a connection (tests: every request inside one outer transaction, rolled back at the end), that
    connection's own asyncpg connection, inside the outer transaction."""
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
