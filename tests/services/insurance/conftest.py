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


@pytest.fixture
def registry_app(test_db):
    from services.registry.app import create_app as create_registry
    from services.registry.settings import RegistrySettings

    return create_registry(RegistrySettings(database_url=test_db.urls["registry"]))


@pytest.fixture
async def registry(registry_app, minter):
    """The registry in-process (its own rolled-back transaction, with the test-only units of province 99)."""
    from tests.services.registry.places import insert_units

    async with app_client(registry_app, keys=minter) as c:
        async with registry_app.state.sessionmaker() as s:
            await insert_units(s)
            await s.commit()
        yield c


@pytest.fixture
async def exchange(test_db, registry, minter):
    """An insurance app whose identity reads go to the in-process registry with insurance's own token."""
    from services.insurance.exchange.identities import RegistryIdentities

    app = create_app(InsuranceSettings(database_url=test_db.urls["insurance"], decisions_worker=False, daily=False))
    app.state.identities = RegistryIdentities(registry, "", bearer=minter.token("registry:read", client_id="insurance"))
    async with app_client(app, keys=minter) as c:
        c.app = app
        yield c
