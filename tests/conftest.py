"""Session-wide fixtures: a real PostgreSQL, a fresh test database, roles, schemas and migrations.

``TEST_DATABASE_URL`` (CI: postgresql://postgres@127.0.0.1:5432/postgres) is used when set; otherwise the
test session starts the embedded PostgreSQL in ``var/test-pg`` (``ANSINH_TEST_PG`` names another directory
under ``var/``, so that two suites can run side by side). Never SQLite, never a mock.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from ansinh import database, local
from common.testing import TokenMinter

TEST_DB = "ansinh_test"


@dataclass
class TestDatabase:
    admin_url: str  # server-level superuser URL (database "postgres" or as given)
    name: str
    passwords: dict[str, str]

    @property
    def urls(self) -> dict[str, str]:
        """Each component's own-role URL to the test database."""
        return database.component_urls(self.admin_url, self.name, self.passwords)

    @property
    def admin_db_url(self) -> str:
        return database.with_database(self.admin_url, self.name)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    with local.EmbeddedPostgres(os.environ.get("ANSINH_TEST_PG", "test-pg")) as admin_url:
        yield admin_url


@pytest.fixture(scope="session")
async def test_db(pg_admin_url: str) -> AsyncIterator[TestDatabase]:
    """A fresh database with every component's role, schema and migrations at head."""
    db = TestDatabase(pg_admin_url, TEST_DB, {c: secrets.token_urlsafe(16) for c in database.COMPONENTS})
    await database.drop_database(pg_admin_url, TEST_DB)
    await database.bootstrap(pg_admin_url, TEST_DB, db.passwords)
    await database.migrate_all_async(db.urls)
    yield db


@pytest.fixture(scope="session")
def minter() -> TokenMinter:
    """Signs tokens that in-process service apps (given ``keys=minter``) accept."""
    return TokenMinter()
