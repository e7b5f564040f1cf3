"""A registry app on the test database, trusting tokens from the session's minter."""

import pytest

from common.testing import app_client
from services.registry.app import create_app
from services.registry.settings import RegistrySettings

from .places import insert_units


@pytest.fixture
def app(test_db):
    return create_app(RegistrySettings(database_url=test_db.urls["registry"]))


@pytest.fixture
async def client(app, minter):
    async with app_client(app, rollback=True, keys=minter) as c:
        yield c


@pytest.fixture
def read(minter):
    return minter.headers("registry:read")


@pytest.fixture
def admin(minter):
    return minter.headers("admin")


@pytest.fixture
async def http(app, minter):
    """A client whose test transaction already holds the test-only units of province 99 (rolled back)."""
    async with app_client(app, keys=minter) as c:
        async with app.state.sessionmaker() as s:  # joins the outer transaction, rolled back at the end
            await insert_units(s)
            await s.commit()
        yield c
