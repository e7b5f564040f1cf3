from fastapi import FastAPI

from common.app import create_service_app

from .beneficiaries.router import router as beneficiaries_router
from .events import EVENTS
from .households.router import router as households_router
from .parameters.router import router as parameters_router
from .persons.router import router as persons_router
from .reports.router import router as reports_router
from .residential.router import router as residential_router
from .settings import RegistrySettings
from .units.router import router as units_router

DESCRIPTION = """Persons, households, beneficiary categories, decisions and monthly entitlements: the source of truth
for who is entitled to a monthly social allowance and how much."""


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    return create_service_app(
        "registry", settings or RegistrySettings(),
        title="AnSinh registry", description=DESCRIPTION,
        events=EVENTS,
        routers=[persons_router, households_router, units_router, parameters_router, beneficiaries_router,
                 residential_router, reports_router],
    )
