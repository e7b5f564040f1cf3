"""AnSinh payments service."""

from fastapi import FastAPI

from common.app import create_service_app

from . import consumers  # noqa: F401  (registers the inbox handlers)
from .artisans.router import router as artisans_router
from .disbursement.router import router as disbursement_router
from .electricity.router import router as electricity_router
from .emergency.router import router as emergency_router
from .events import EVENTS
from .foster.router import router as foster_router
from .ledger.router import router as ledger_router
from .longevity.router import router as longevity_router
from .one_off.router import router as one_off_router
from .payrolls.router import router as payrolls_router
from .programmes.router import router as programmes_router
from .projection.router import router as projection_router
from .reconciliation import daily as reconciliation_daily
from .reconciliation.router import router as reconciliation_router
from .settings import PaymentsSettings

DESCRIPTION = """Monthly payrolls, postal disbursement and reconciliation, electricity support, one-off payments and
the ledger. Payrolls are built from payments' own copy of the registry (kept up to date by registry events), never
by calling the registry."""


def create_app(settings: PaymentsSettings | None = None) -> FastAPI:
    settings = settings or PaymentsSettings()
    daily = reconciliation_daily.job(settings)
    return create_service_app(
        "payments",
        settings,
        title="AnSinh payments",
        description=DESCRIPTION,
        events=EVENTS,
        routers=[
            projection_router,
            programmes_router,
            artisans_router,
            foster_router,
            one_off_router,
            payrolls_router,
            disbursement_router,
            reconciliation_router,
            ledger_router,
            electricity_router,
            longevity_router,
            emergency_router,
        ],
        on_startup=[daily.start],
        on_shutdown=[daily.stop],
    )
