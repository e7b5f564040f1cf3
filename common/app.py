"""The one way a service app is assembled: lifespan-owned engine, health, readiness, metrics, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator
from starlette.responses import JSONResponse

from . import db
from .errors import ServiceUnavailable, install_error_handlers
from .logging import RequestIdMiddleware, configure_logging
from .settings import ServiceSettings

Hook = Callable[[FastAPI], Awaitable[None]]


def create_service_app(
    name: str,
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    version: str = "0.1.0",
    routers: Sequence[APIRouter] = (),
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    middleware: Sequence[tuple[type, dict[str, Any]]] = (),
    metrics_registry: CollectorRegistry | None = None,
) -> FastAPI:
    """Build a service's FastAPI app. Engines and clients are made in the lifespan, never at import."""
    configure_logging(settings.log_level, settings.log_json, service=name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.make_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = db.make_sessionmaker(engine)
        try:
            for hook in on_startup:
                await hook(app)
            yield
        finally:
            for hook in reversed(on_shutdown):
                await hook(app)
            await engine.dispose()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.settings = settings
    app.state.service_name = name
    install_error_handlers(app)
    add_operational_routes(app, _database_ready, metrics_registry or CollectorRegistry())
    for router in routers:
        app.include_router(router)
    for cls, options in middleware:  # inside the request-id middleware, outside the routes
        app.add_middleware(cls, **options)
    app.add_middleware(RequestIdMiddleware)
    return app


async def _database_ready(app: FastAPI) -> dict[str, Any]:
    try:
        await db.ping(app.state.engine)
    except Exception as exc:  # any driver/network failure means "not ready", reported as 503
        raise ServiceUnavailable(f"database unreachable: {type(exc).__name__}") from exc
    return {"database": "ok"}


def add_operational_routes(
    app: FastAPI, readiness: Callable[[FastAPI], Awaitable[dict[str, Any]]], registry: CollectorRegistry
) -> None:
    """``/health`` (process alive), ``/ready`` (dependencies reachable) and ``/metrics`` (Prometheus)."""
    ops = APIRouter(tags=["operations"])

    @ops.get("/health", summary="Liveness")
    async def health() -> dict[str, str]:
        """Answers 200 while the process is alive. Needs no token."""
        return {"status": "ok", "service": app.state.service_name}

    @ops.get("/ready", summary="Readiness", responses={503: {"description": "A dependency is unreachable"}})
    async def ready() -> JSONResponse:
        """Answers 200 when the process can serve traffic (its database answers), 503 problem otherwise."""
        checks = await readiness(app)
        return JSONResponse({"status": "ready", "service": app.state.service_name, "checks": checks})

    app.include_router(ops)
    # A registry per app keeps several apps in one process (tests) from clashing on metric names.
    Instrumentator(registry=registry, excluded_handlers=["/metrics"]).instrument(app).expose(
        app, include_in_schema=False
    )
