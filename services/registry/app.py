from fastapi import FastAPI

from common.app import create_service_app

from .events import EVENTS
from .settings import RegistrySettings

DESCRIPTION = """Persons, households, beneficiary categories, decisions and monthly entitlements: the source of truth
for who is entitled to a monthly social allowance and how much."""


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    return create_service_app(
        "registry", settings or RegistrySettings(),
        title="AnSinh registry", description=DESCRIPTION,
        events=EVENTS,
    )
