"""What every command needs to reach the platform: the admin database and the stack's configuration.

Below the commands (``cli``, ``clients``, ``events_cli``, ``payments_cli``), so that they share these
without importing each other.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from common.settings import SERVICES

from . import database, local
from .stack import StackConfig, default_ports, new_event_secrets


@contextmanager
def admin_database(quiet: bool = False) -> Iterator[tuple[str, str]]:
    """(admin URL, database name): ``ANSINH_DATABASE_URL`` if set, else the embedded server in ``var/pg``.

    The embedded server is stopped when the block ends (if this process started it).
    """
    dbname = os.environ.get("ANSINH_DATABASE", "ansinh")
    url = os.environ.get("ANSINH_DATABASE_URL")
    if url:
        yield url, dbname
        return
    if not quiet:
        typer.echo(f"starting embedded PostgreSQL in {local.VAR / 'pg'} …")
    with local.EmbeddedPostgres("pg") as admin_url:
        yield admin_url, dbname


def stack_config(admin_url: str, dbname: str) -> StackConfig:
    secrets = local.load_secrets(database.COMPONENTS)
    # docker-compose passes the event secrets (ANSINH_<SERVICE>_EVENTS_SECRET / _INBOX_SECRET / _URL); only
    # what is neither given nor kept in var/ is generated (and kept, for the next `ansinh up`).
    stored = dict(secrets.get("event_secrets") or {})
    events, urls, generated = {}, {}, False
    for s in SERVICES:
        env = f"ANSINH_{s.upper()}_"
        given = {
            "client_secret": os.environ.get(env + "EVENTS_SECRET"),
            "inbox_secret": os.environ.get(env + "INBOX_SECRET"),
        }
        if not all(given.values()) and s not in stored:
            stored[s], generated = new_event_secrets(), True
        events[s] = {k: v or stored[s][k] for k, v in given.items()}
        if os.environ.get(env + "URL"):
            urls[s] = os.environ[env + "URL"]
    if generated:
        local.save_secret("event_secrets", stored)
    # Console lines for people at a terminal; ANSINH_LOG_JSON=true gives JSON as in production.
    return StackConfig(
        admin_url=admin_url,
        database=dbname,
        passwords=secrets["db_passwords"],
        ports=default_ports(),
        log_json=os.environ.get("ANSINH_LOG_JSON", "") == "true",
        event_secrets=events,
        service_urls=urls,
    )
