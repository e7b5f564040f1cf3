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
from hypothesis import settings

from ansinh import database, local
from common.testing import TokenMinter

TEST_DB = "ansinh_test"

# Hypothesis profiles, for every property test of the suite (tests set no max_examples of their own):
# * ``ci`` (selected by ``CI=true``): derandomized, so a CI run is the same run every time and never flakes;
# * ``dev`` (the default elsewhere): random examples, failures kept in the local example database;
# * ``deep`` (``HYPOTHESIS_PROFILE=deep``, ``make test-deep``): many more random examples, to hunt for
#   counterexamples locally. A failure found there becomes an ``@example`` on the test.
# ``HYPOTHESIS_PROFILE`` names the profile explicitly and wins over ``CI``.
PROPERTY_EXAMPLES = 300
DEEP_EXAMPLES = 10_000
# Each profile starts from hypothesis' own defaults, never from the profile loaded when this file runs
# (hypothesis loads its built-in "ci" profile by itself when it detects CI).
_BASE = settings.get_profile("default")
settings.register_profile(
    "ci", _BASE, max_examples=PROPERTY_EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=True
)
settings.register_profile("dev", _BASE, max_examples=PROPERTY_EXAMPLES, deadline=None)
settings.register_profile("deep", _BASE, max_examples=DEEP_EXAMPLES, deadline=None)


def hypothesis_profile(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The profile for this run: ``HYPOTHESIS_PROFILE`` if set, else ``ci`` under ``CI=true``, else ``dev``."""
    explicit = environ.get("HYPOTHESIS_PROFILE", "").strip()
    if explicit:
        return explicit
    return "ci" if environ.get("CI", "").strip().lower() in ("true", "1", "yes") else "dev"


settings.load_profile(hypothesis_profile())


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
