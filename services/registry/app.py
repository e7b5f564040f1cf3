from fastapi import FastAPI

from common.app import create_service_app

from . import consumers  # noqa: F401  (registers the inbox handlers)
from .beneficiaries.router import router as beneficiaries_router
from .deaths.router import router as deaths_router
from .donations.router import router as donations_router
from .duplicates.router import router as duplicates_router
from .events import EVENTS
from .households.router import router as households_router
from .imports.router import router as imports_router
from .level_changes import daily as level_changes_daily
from .level_changes.router import router as level_changes_router
from .parameters.router import router as parameters_router
from .persons.router import router as persons_router
from .referrals.router import router as referrals_router
from .reports.router import router as reports_router
from .residential.router import router as residential_router
from .schedules.router import router as schedules_router
from .settings import RegistrySettings
from .study.router import router as study_router
from .units.router import router as units_router

DESCRIPTION = """Persons, households, beneficiary categories, decisions and monthly entitlements: the source of truth
for who is entitled to a monthly social allowance and how much."""


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    daily = level_changes_daily.job(settings)
    return create_service_app(
        "registry",
        settings,
        title="AnSinh registry",
        description=DESCRIPTION,
        events=EVENTS,
        # The duplicates' routes first: /persons/possible-duplicates is not a /persons/{person_id}.
        routers=[
            duplicates_router,
            persons_router,
            households_router,
            units_router,
            parameters_router,
            beneficiaries_router,
            residential_router,
            reports_router,
            schedules_router,
            deaths_router,
            level_changes_router,
            imports_router,
            study_router,
            donations_router,
            referrals_router,
        ],
        on_startup=[daily.start],
        on_shutdown=[daily.stop],
    )
