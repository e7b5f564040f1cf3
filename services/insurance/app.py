from fastapi import FastAPI

from common.app import create_service_app

from .events import EVENTS
from .settings import InsuranceSettings

DESCRIPTION = """Health-insurance enrolment of beneficiaries and young children, cards, and the exchange with the
Social Insurance office (BHXH)."""


def create_app(settings: InsuranceSettings | None = None) -> FastAPI:
    return create_service_app(
        "insurance", settings or InsuranceSettings(),
        title="AnSinh insurance", description=DESCRIPTION,
        events=EVENTS,
    )
