"""AnSinh insurance service."""

from fastapi import FastAPI

from common.app import create_service_app
from common.db import driver_pool
from common.ratelimit import MemoryLimiter

from . import consumers  # noqa: F401  (registers the inbox handlers)
from .cards import daily as cards_daily
from .cards.router import router as cards_router
from .contributions.router import router as contributions_router
from .coverage import service as coverage_service
from .coverage.fast import CoverageFastPath
from .coverage.router import router as coverage_router
from .decisions.worker import Worker
from .events import EVENTS
from .exchange.identities import RegistryIdentities
from .exchange.router import router as exchange_router
from .parameters.router import router as parameters_router
from .proposals.router import router as proposals_router
from .recorded.router import router as recorded_router
from .reports.router import router as reports_router
from .settings import InsuranceSettings

DESCRIPTION = """Health-insurance cards of children under 6, social-allowance beneficiaries and the members of poor,
near-poor and farming households: one card per person decided from the registry's events (never re-typed), the
exchange with the Social Insurance office (BHXH), contributions and the coverage check."""


def create_app(settings: InsuranceSettings | None = None) -> FastAPI:
    settings = settings or InsuranceSettings()
    daily = cards_daily.job(settings)
    worker = Worker()

    async def identities(app: FastAPI) -> None:
        # Tests may put their own client in app.state.identities before the lifespan starts.
        if getattr(app.state, "identities", None) is None:
            secret = settings.registry_client_secret
            app.state.identities = RegistryIdentities(
                app.state.http,
                f"{settings.gateway_url}/registry",
                gateway_url=settings.gateway_url,
                client_id=settings.registry_client_id,
                client_secret=secret.get_secret_value() if secret else None,
            )

    async def coverage_pool(app: FastAPI) -> None:
        app.state.coverage_pool = driver_pool(settings, settings.coverage_pool_size)
        app.state.coverage_audit = coverage_service.audited(app.state, settings.coverage_pool_size)

    async def close_coverage_pool(app: FastAPI) -> None:
        await app.state.coverage_audit.close()
        pool, app.state.coverage_pool = app.state.coverage_pool, None
        if pool is not None:
            await pool.close()

    startup = [identities, coverage_pool, daily.start] + ([worker.start] if settings.decisions_worker else [])
    shutdown = [daily.stop, worker.stop, close_coverage_pool]
    app = create_service_app(
        "insurance",
        settings,
        title="AnSinh insurance",
        description=DESCRIPTION,
        events=EVENTS,
        routers=[
            parameters_router,
            cards_router,
            recorded_router,
            exchange_router,
            coverage_router,
            contributions_router,
            proposals_router,
            reports_router,
        ],
        on_startup=startup,
        on_shutdown=shutdown,
        inner_middleware=[(CoverageFastPath, {})] if settings.coverage_fast_path else [],
    )
    app.state.decisions = worker
    app.state.identities = None
    app.state.coverage_limiter = MemoryLimiter()
    app.state.coverage_pool = None
    return app
