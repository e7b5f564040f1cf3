from fastapi import FastAPI

from common.app import create_service_app

from .events import EVENTS
from .settings import PaymentsSettings

DESCRIPTION = """Monthly payrolls, postal disbursement and reconciliation, electricity support, one-off payments and
the ledger."""


def create_app(settings: PaymentsSettings | None = None) -> FastAPI:
    return create_service_app(
        "payments", settings or PaymentsSettings(),
        title="AnSinh payments", description=DESCRIPTION,
        events=EVENTS,
    )
