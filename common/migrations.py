"""Alembic plumbing shared by every service's ``migrations/env.py``.

Each component (four services and the gateway) has its own Alembic environment, its version table
inside its own schema, and autogenerate limited to that schema. The URL comes from the caller
(``ansinh migrate`` passes the component's own role URL) or from ``<PREFIX>DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .settings import to_asyncpg_url

ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_INI = ROOT / "alembic.ini"
VERSION_TABLE = "alembic_version"


def include_name_for(schema: str) -> Callable[[str | None, str, dict[str, Any]], bool]:
    """Autogenerate filter: only the component's own schema, nothing else in the database."""

    def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
        if type_ == "schema":
            return name == schema
        return not (type_ == "table" and name == VERSION_TABLE)

    return include_name


def configure_kwargs(schema: str, metadata: MetaData) -> dict[str, Any]:
    return {
        "target_metadata": metadata,
        "version_table_schema": schema,
        "version_table": VERSION_TABLE,
        "include_schemas": True,
        "include_name": include_name_for(schema),
        "compare_type": True,
        "compare_server_default": True,
    }


def run_env(schema: str, metadata: MetaData, env_prefix: str) -> None:
    """Body of every ``env.py``: online migrations over asyncpg, schema created first."""
    config = context.config
    url = config.attributes.get("url") or os.environ.get(f"{env_prefix}DATABASE_URL")
    if not url:
        raise RuntimeError(f"set {env_prefix}DATABASE_URL (or use `ansinh migrate`)")

    if context.is_offline_mode():
        context.configure(url=to_asyncpg_url(url), literal_binds=True, **configure_kwargs(schema, metadata))
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: Connection) -> None:
        # Check first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema
        # exists, and a component's role deliberately lacks it (bootstrap made the schema for it).
        if connection.scalar(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}) is None:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        context.configure(connection=connection, **configure_kwargs(schema, metadata))
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = migration_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(do_run)
        await engine.dispose()

    asyncio.run(main())


def migration_engine(url: str) -> AsyncEngine:
    """An engine for migrating and comparing one component's schema.

    A role's search_path starts with its own schema, which would make reflection report that schema's
    tables as the "default schema" (no name) and mismatch the models' explicit schema; here the default
    is ``public`` (where the role owns nothing), so every name is explicit.
    """
    return create_async_engine(
        to_asyncpg_url(url), poolclass=pool.NullPool, connect_args={"server_settings": {"search_path": "public"}}
    )


def alembic_config(component: str, url: str) -> Config:
    cfg = Config(str(ALEMBIC_INI), ini_section=component)
    cfg.attributes["url"] = url
    return cfg


def upgrade(component: str, url: str, revision: str = "head") -> None:
    """Bring one component's schema to ``revision``. Blocking: call via ``asyncio.to_thread`` from async code."""
    command.upgrade(alembic_config(component, url), revision)


def diff_models_and_migrations(connection: Connection, schema: str, metadata: MetaData) -> list[Any]:
    """Differences autogenerate would write for ``schema``: empty when models and migrations agree."""
    from alembic.autogenerate import compare_metadata

    kw = configure_kwargs(schema, metadata)
    mc = MigrationContext.configure(connection, opts={k: v for k, v in kw.items() if k != "target_metadata"})
    return list(compare_metadata(mc, metadata))
