"""A payments app on the test database, trusting tokens from the session's minter."""

import pytest

from common.testing import app_client
from services.payments.app import create_app
from services.payments.settings import PaymentsSettings


@pytest.fixture
def app(test_db):
    return create_app(PaymentsSettings(database_url=test_db.urls["payments"]))


@pytest.fixture
async def http(app, minter):
    """Every request of the test shares one transaction, rolled back at the end."""
    async with app_client(app, keys=minter) as c:
        yield c
