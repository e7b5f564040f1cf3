"""A registry app on the test database, trusting tokens from the session's minter."""

import pytest

from common.testing import app_client
from services.registry.app import create_app
from services.registry.settings import RegistrySettings


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
