"""An insurance app on the test database, trusting tokens from the session's minter."""

import pytest

from common.testing import app_client
from services.insurance.app import create_app
from services.insurance.settings import InsuranceSettings


@pytest.fixture
def settings(test_db):
    return InsuranceSettings(database_url=test_db.urls["insurance"], decisions_worker=False, daily=False)


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
async def http(app, minter):
    """Every request of the test shares one transaction, rolled back at the end."""
    async with app_client(app, keys=minter) as c:
        yield c
