"""The fuzz run's own stack: the real processes on a database of their own, so that what the fuzzer
creates never meets the other end-to-end tests."""

from __future__ import annotations

import io
import secrets
import sys
import uuid

import pytest

from ansinh.database import COMPONENTS, drop_database, env_prefix, in_gateway_db
from ansinh.stack import Stack, StackConfig, prepare_database
from common.auth import SCOPES
from common.testing import free_port
from gateway.auth import service as auth_service

FUZZ_DB = "ansinh_fuzz"
LOOPBACK = "127.0.0.0/8"


class Lines(io.TextIOBase):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, s: str) -> int:
        self.lines.append(s)
        return len(s)


@pytest.fixture(scope="package")
async def fuzz_stack(test_db):
    await drop_database(test_db.admin_url, FUZZ_DB)
    ports = {c: free_port() for c in ("gateway", "registry", "payments", "insurance", "child_protection")}
    env = {
        f"{env_prefix(c)}{name}": value
        for c in COMPONENTS
        for name, value in (("DB_POOL_SIZE", "4"), ("DB_MAX_OVERFLOW", "2"))
    }
    env |= {
        # webhooks may only reach this machine (the fuzz hooks point every subscription at a closed port)
        "GATEWAY_WEBHOOK_ALLOWLIST": f'["{LOOPBACK}"]',
        "GATEWAY_TOKEN_TTL_SECONDS": "86400",  # a long `make fuzz` keeps one token
        "GATEWAY_DELIVERY_MAX_ATTEMPTS": "1",
        "INSURANCE_IDENTITY_KEY": secrets.token_urlsafe(32),  # outside development a real key is required
    }
    config = StackConfig(
        admin_url=test_db.admin_url,
        database=FUZZ_DB,
        passwords=test_db.passwords,
        ports=ports,
        environment="test",
        extra_env=env,
    )
    await prepare_database(config)
    logs = Lines()
    running = Stack(config, out=logs)
    try:
        running.start_all(timeout=60)
        yield running
    finally:
        running.stop()
        sys.stdout.write("".join(logs.lines[-300:]))  # visible with -rA or on failure


@pytest.fixture(scope="package")
async def fuzz_client(fuzz_stack) -> tuple[str, str]:
    """A client with every scope and no area limit, and a rate limit the fuzzer will not hit."""
    client_id = f"fuzz-{uuid.uuid4().hex[:8]}"

    async def create(session):
        return (
            await auth_service.create_client(
                session, client_id, scopes=list(SCOPES), areas=[], rate_per_second=100_000, burst=100_000
            )
        ).secret

    return client_id, await in_gateway_db(fuzz_stack.config.urls()["gateway"], create)
