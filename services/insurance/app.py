"""AnSinh insurance service."""
from fastapi import FastAPI

from common.app import create_service_app

from .events import EVENTS
from .parameters.router import router as parameters_router
from .settings import InsuranceSettings

DESCRIPTION = """Health-insurance cards of children under 6, social-allowance beneficiaries and the members of poor,
near-poor and farming households: one card per person decided from the registry's events (never re-typed), the
exchange with the Social Insurance office (BHXH), contributions and the coverage check."""


def create_app(settings: InsuranceSettings | None = None) -> FastAPI:
    settings = settings or InsuranceSettings()
    return create_service_app(
        "insurance", settings,
        title="AnSinh insurance", description=DESCRIPTION,
        events=EVENTS,
        routers=[parameters_router],
    )
