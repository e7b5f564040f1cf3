from fastapi import FastAPI

from common.app import create_service_app

from .events import EVENTS
from .settings import ChildProtectionSettings

DESCRIPTION = """Children in special circumstances, case management, alternative care and support."""


def create_app(settings: ChildProtectionSettings | None = None) -> FastAPI:
    return create_service_app(
        "child_protection", settings or ChildProtectionSettings(),
        title="AnSinh child protection", description=DESCRIPTION,
        events=EVENTS,
    )
