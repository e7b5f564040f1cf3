"""End-to-end: the real processes, started by the same code as ``ansinh up``, on their own database."""

from __future__ import annotations

import io
import sys

import pytest

from ansinh.database import COMPONENTS, drop_database, env_prefix
from ansinh.stack import Stack, StackConfig, prepare_database
from common.testing import free_port

E2E_DB = "ansinh_e2e"


class Tee(io.TextIOBase):
    """Keeps the processes' log lines for assertions and shows them when a test fails."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, s: str) -> int:
        self.lines.append(s)
        return len(s)


@pytest.fixture(scope="package")
async def stack(test_db):
    await drop_database(test_db.admin_url, E2E_DB)
    ports = {c: free_port() for c in ("gateway", "registry", "payments", "insurance", "child_protection")}
    # Five processes must fit a default PostgreSQL (max_connections 100, CI's included) with the test's own
    # connections: 5 × (8 + 4) at the most.
    pools = {f"{env_prefix(c)}{name}": value for c in COMPONENTS
             for name, value in (("DB_POOL_SIZE", "8"), ("DB_MAX_OVERFLOW", "4"))}
    # A module's tokens are taken once; on a busy machine a module outlasts the default 5-minute lifetime.
    pools["GATEWAY_TOKEN_TTL_SECONDS"] = "3600"
    config = StackConfig(admin_url=test_db.admin_url, database=E2E_DB, passwords=test_db.passwords,
                         ports=ports, environment="test", extra_env=pools)
    await prepare_database(config)
    logs = Tee()
    running = Stack(config, out=logs)
    try:
        running.start_all(timeout=60)
        yield running
    finally:
        running.stop()
        sys.stdout.write("".join(logs.lines[-200:]))  # visible with -rA or on failure
