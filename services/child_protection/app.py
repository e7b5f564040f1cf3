"""AnSinh child protection service."""

from fastapi import FastAPI

from common.app import create_service_app

from . import consumers  # noqa: F401  (registers the inbox handlers)
from .access.router import router as audit_router
from .attachments.router import router as attachments_router
from .cases.router import router as cases_router
from .changes.router import router as changes_router
from .children.router import router as children_router
from .deadlines import daily as deadlines_daily
from .deadlines.router import router as deadlines_router
from .events import EVENTS
from .placements.router import router as placements_router
from .reference.admin_router import router as admin_router
from .reference.router import router as reference_router
from .reports.router import router as reports_router
from .settings import ChildProtectionSettings

DESCRIPTION = """Children in special circumstances (Law on Children 2016 Art 10), case management under Decree
56/2017 with its time limits, alternative care and support. Case contents need `child_protection:case` (case
workers) or `child_protection:read` (supervisors) and an `X-Purpose` header on every request; every read is
audited. Other clients, administrators included, see counts only (the reports)."""


def create_app(settings: ChildProtectionSettings | None = None) -> FastAPI:
    settings = settings or ChildProtectionSettings()
    daily = deadlines_daily.job(settings)
    app = create_service_app(
        "child_protection",
        settings,
        title="AnSinh child protection",
        description=DESCRIPTION,
        events=EVENTS,
        routers=[
            reference_router,
            children_router,
            cases_router,
            deadlines_router,
            changes_router,
            audit_router,
            reports_router,
            attachments_router,
            placements_router,
            admin_router,
        ],
        on_startup=[daily.start],
        on_shutdown=[daily.stop],
    )
    app.state.cipher = settings.cipher()
    return app
