"""Database bootstrap: one database, one schema and one login role per component.

Each role owns its schema and has no rights on any other, so a service that is compromised or buggy
cannot read or change another service's data. ``bootstrap`` is idempotent: ``ansinh up`` runs it at
every start, and it only creates or corrects what is missing.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from common import migrations
from common.settings import SERVICES, to_asyncpg_url

COMPONENTS: tuple[str, ...] = (*SERVICES, "gateway")
"""Everything that owns a schema: the four services and the gateway."""

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


EXTENSIONS_SCHEMA = "extensions"
"""Where the database's extensions (pg_trgm) are installed; every role may use it, none may create in it."""


def role_name(component: str) -> str:
    return f"ansinh_{component}"


def env_prefix(component: str) -> str:
    return component.upper() + "_"


def with_database(url: str, database: str, *, user: str | None = None, password: str | None = None) -> str:
    """``url`` pointed at another database (and optionally another login), as a plain string."""
    u = make_url(url).set(database=database)
    if user is not None:
        u = u.set(username=user, password=password or None)
    return u.render_as_string(hide_password=False)


def component_urls(admin_url: str, database: str, passwords: dict[str, str]) -> dict[str, str]:
    """Each component's own connection URL: same server and database, its own role."""
    return {c: with_database(admin_url, database, user=role_name(c), password=passwords.get(c)) for c in COMPONENTS}


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"unsafe SQL identifier {name!r}")
    return f'"{name}"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def ensure_database_and_roles(admin_url: str, database: str, passwords: dict[str, str]) -> None:
    """Create ``database`` if missing, and every component's login role (or set its password)."""
    admin = create_async_engine(to_asyncpg_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database})
            if not exists:
                await conn.execute(text(f"CREATE DATABASE {_ident(database)} ENCODING 'UTF8' TEMPLATE template0"))
            for component in COMPONENTS:
                role = role_name(component)
                found = await conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
                verb = "ALTER" if found else "CREATE"
                pw = passwords.get(component)
                pw_sql = f"PASSWORD {_literal(pw)}" if pw else "PASSWORD NULL"
                await conn.execute(
                    text(f"{verb} ROLE {_ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT {pw_sql}")
                )
    finally:
        await admin.dispose()


async def bootstrap(admin_url: str, database: str, passwords: dict[str, str]) -> None:
    """Create the database, the roles and the schemas (idempotent). ``admin_url`` needs superuser rights."""
    await ensure_database_and_roles(admin_url, database, passwords)

    engine = create_async_engine(to_asyncpg_url(with_database(admin_url, database)), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            # Nobody but the owner may create objects in public; each role works only in its own schema.
            await conn.execute(text("REVOKE ALL ON SCHEMA public FROM PUBLIC"))
            await conn.execute(text(f"REVOKE CREATE, TEMPORARY ON DATABASE {_ident(database)} FROM PUBLIC"))
            # Extensions live in their own schema, which the roles may use but not create in: pg_trgm's
            # operator classes back the registry's name search (a trigram index serves LIKE '%…%').
            await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {EXTENSIONS_SCHEMA}"))
            await conn.execute(text(f"REVOKE ALL ON SCHEMA {EXTENSIONS_SCHEMA} FROM PUBLIC"))
            await conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA {EXTENSIONS_SCHEMA}"))
            for component in COMPONENTS:
                role, schema = _ident(role_name(component)), _ident(component)
                await conn.execute(text(f"GRANT CONNECT ON DATABASE {_ident(database)} TO {role}"))
                await conn.execute(text(f"GRANT USAGE ON SCHEMA {EXTENSIONS_SCHEMA} TO {role}"))
                await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role}"))
                await conn.execute(text(f"ALTER SCHEMA {schema} OWNER TO {role}"))
                await conn.execute(text(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC"))
                await conn.execute(text(f"ALTER ROLE {role} IN DATABASE {_ident(database)} SET search_path = {schema}"))
    finally:
        await engine.dispose()


async def drop_database(admin_url: str, database: str) -> None:
    """Drop ``database`` if it exists, disconnecting its sessions (tests and benchmarks start fresh)."""
    engine = create_async_engine(to_asyncpg_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {_ident(database)} WITH (FORCE)"))
    finally:
        await engine.dispose()


def migrate_all(urls: dict[str, str]) -> None:
    """Bring every component's schema to head, each as its own role (so it owns what it creates)."""
    for component in COMPONENTS:
        migrations.upgrade(component, urls[component])


async def migrate_all_async(urls: dict[str, str]) -> None:
    await asyncio.to_thread(migrate_all, urls)


T = TypeVar("T")


async def in_gateway_db(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on the gateway's schema, as the gateway's role."""
    engine = create_async_engine(to_asyncpg_url(url))
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()
