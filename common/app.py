"""The one way a service app is assembled: lifespan-owned engine, token checks, health, readiness, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any

import httpx
import structlog
from fastapi import APIRouter, FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse, PlainTextResponse, Response

from . import db, gcpause, openapi
from .auth import PUBLIC_PATHS, AuthMiddleware, KeyRefresher, Principal, TokenVerifier, require
from .daily import DailyJob, in_transaction
from .errors import ServiceUnavailable, install_error_handlers
from .events import retention
from .events.inbox import INBOX_BATCH_PATH, INBOX_PATH
from .events.relay import Relay
from .events.service import ServiceEvents
from .events.watch import SubscriptionWatch
from .input_guard import InputGuard
from .logging import RequestIdMiddleware, configure_logging
from .metrics import RequestMetrics, request_metrics
from .settings import ServiceSettings

Hook = Callable[[FastAPI], Awaitable[None]]
KeyLoader = Callable[[], Awaitable[tuple[dict[str, Any], dict[str, float]]]]


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
    middleware: Sequence[tuple[Any, dict[str, Any]]] = (),
    inner_middleware: Sequence[tuple[Any, dict[str, Any]]] = (),
    metrics_registry: CollectorRegistry | None = None,
    public_paths: frozenset[str] = PUBLIC_PATHS,
    key_loader: Callable[[FastAPI], KeyLoader] | None = None,
    verifier: TokenVerifier | None = None,
    events: ServiceEvents | None = None,
    app_class: type[FastAPI] = FastAPI,
) -> FastAPI:
    """Build a service's FastAPI app. Engines and clients are made in the lifespan, never at import.

    Every route but ``public_paths`` needs a valid gateway token. Keys and revocations come from
    ``key_loader(app)`` — by default over HTTP from the gateway at ``settings.gateway_url``. ``app_class`` is a
    subclass of FastAPI for an app that serves some requests ahead of its middleware (the gateway's proxy).
    ``inner_middleware`` runs inside the token check, the input guard and the request metrics, right before the
    router: a lean endpoint that answers a hot path without FastAPI's routing (insurance's coverage check).
    """
    configure_logging(settings.log_level, settings.log_json, service=name)
    verifier = verifier or TokenVerifier()
    if events is not None:  # every service with events prunes what it no longer needs, once a day
        retention_job = _retention_job(settings, events)
        on_startup, on_shutdown = [*on_startup, retention_job.start], [*on_shutdown, retention_job.stop]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.make_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = db.make_sessionmaker(engine)
        app.state.http = httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0))
        # Tests may put a loader of their own in app.state.key_loader before the lifespan starts.
        load = getattr(app.state, "key_loader", None) or (key_loader or remote_key_loader)(app)
        refresher = app.state.key_refresher = KeyRefresher(verifier, load, interval=settings.auth_refresh_seconds)
        relay = app.state.relay = _make_relay(settings, engine, events, registry)
        watch = app.state.subscription_watch = _make_watch(name, settings, events, app.state.http)
        try:
            for hook in on_startup:
                await hook(app)
            await refresher.start()
            if relay is not None:
                await relay.start()
            if watch is not None:
                await watch.start()
            if getattr(app.state, "freeze_startup_heap", False):  # a server process (``ansinh serve``), not a test
                gcpause.freeze_startup_heap()
            yield
        finally:
            if watch is not None:
                await watch.stop()
            if relay is not None:
                await relay.stop()
            await refresher.stop()
            for hook in reversed(on_shutdown):
                await hook(app)
            await app.state.http.aclose()
            await engine.dispose()

    app = app_class(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        generate_unique_id_function=openapi.operation_id_function(name),
        # FastAPI's native OpenTelemetry off: the suite observes through Prometheus (/metrics) and structured logs,
        # and with it on every request asked OpenTelemetry's global providers (three environment reads) whether
        # anything was configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.service_name = name
    app.state.verifier = verifier
    install_error_handlers(app)
    registry = metrics_registry or CollectorRegistry()
    for cls, options in inner_middleware:  # added first: innermost, under the metrics added next
        app.add_middleware(cls, **options)
    add_operational_routes(app, _ready, registry)
    for router in routers:
        app.include_router(router)
    if events is not None:
        secret = settings.events_inbox_secret
        app.include_router(events.inbox.router(secret.get_secret_value() if secret else None))
        app.include_router(events.canary_router)
        public_paths = public_paths | {INBOX_PATH, INBOX_BATCH_PATH}  # signed by the hub instead of a bearer token
    openapi.install(app, public_paths)
    app.add_middleware(InputGuard)  # inside the token check: anonymous requests are never parsed
    app.add_middleware(AuthMiddleware, verifier=verifier, public_paths=public_paths)
    for cls, options in middleware:  # outside the token check (the gateway's proxy checks for itself)
        app.add_middleware(cls, **options)
    app.add_middleware(RequestIdMiddleware)
    return app


def _retention_job(settings: ServiceSettings, events: ServiceEvents) -> DailyJob:
    async def prune(session: AsyncSession, day: date) -> dict[str, int]:
        return await retention.prune(session, events.tables, inbox_days=settings.inbox_retention_days)

    return DailyJob(
        "event_retention", at=settings.retention_at, run=in_transaction(prune), enabled=settings.retention_daily
    )


def _make_relay(
    settings: ServiceSettings, engine: Any, events: ServiceEvents | None, registry: CollectorRegistry
) -> Relay | None:
    if events is None:
        return None
    if not (settings.events_client_id and settings.events_client_secret):
        structlog.get_logger("events").warning("relay_disabled", reason="no events_client_id/secret configured")
        return None
    return Relay(
        engine,
        events.tables,
        gateway_url=settings.gateway_url,
        client_id=settings.events_client_id,
        client_secret=settings.events_client_secret.get_secret_value(),
        batch_size=settings.events_batch_size,
        poll_seconds=settings.events_poll_seconds,
        max_backoff=settings.events_retry_max_seconds,
        registry=registry,
    )


def _make_watch(
    name: str, settings: ServiceSettings, events: ServiceEvents | None, http: httpx.AsyncClient
) -> SubscriptionWatch | None:
    """Checks this service's inbox subscription at the hub (a service with an inbox and its secret)."""
    if events is None or settings.events_inbox_secret is None or not events.inbox.patterns:
        return None
    return SubscriptionWatch(
        name,
        events.inbox.patterns,
        http=http,
        gateway_url=settings.gateway_url,
        inbox_secret=settings.events_inbox_secret.get_secret_value(),
        interval=settings.events_subscription_check_seconds,
    )


def remote_key_loader(app: FastAPI) -> KeyLoader:
    """Keys from the gateway's JWKS and revocations from ``/auth/revocations``."""
    base = app.state.settings.gateway_url.rstrip("/")

    async def load() -> tuple[dict[str, Any], dict[str, float]]:
        http: httpx.AsyncClient = app.state.http
        keys = await http.get(f"{base}/.well-known/jwks.json")
        keys.raise_for_status()
        revoked = await http.get(f"{base}/auth/revocations")
        revoked.raise_for_status()
        return keys.json(), {k: float(v) for k, v in revoked.json()["not_before"].items()}

    return load


async def _database_ready(app: FastAPI) -> dict[str, Any]:
    try:
        await db.ping(app.state.engine)
    except Exception as exc:  # any driver/network failure means "not ready", reported as 503
        raise ServiceUnavailable(f"database unreachable: {type(exc).__name__}") from exc
    return {"database": "ok"}


async def _ready(app: FastAPI) -> dict[str, Any]:
    """The database answers and, for a service with an inbox, the hub still delivers to it (as last checked)."""
    checks = await _database_ready(app)
    watch: SubscriptionWatch | None = getattr(app.state, "subscription_watch", None)
    if watch is not None:
        if watch.problem is not None:
            raise ServiceUnavailable(watch.problem, checks={**checks, "subscription": "not active"})
        checks["subscription"] = "ok" if watch.checked else "not checked yet"
    return checks


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
        """Answers 200 when the process can serve traffic (its database answers), 503 problem otherwise.
        Needs no token."""
        checks = await readiness(app)
        return JSONResponse({"status": "ready", "service": app.state.service_name, "checks": checks})

    @ops.get("/me", summary="The caller, as this service sees the token")
    async def me(principal: Annotated[Principal, require()]) -> dict[str, Any]:
        """The client id, scopes and areas of the bearer token, once verified here: a quick way for a
        partner to check its credentials. Needs any valid token."""
        return {
            "client_id": principal.client_id,
            "scopes": sorted(principal.scopes),
            "areas": list(principal.areas),
            "expires_at": principal.expires_at,
        }

    @ops.get(
        "/metrics",
        summary="Prometheus metrics",
        dependencies=[require("metrics:read")],
        response_class=PlainTextResponse,
    )
    async def metrics() -> Response:
        """Prometheus text format. Needs a token with `metrics:read` (Prometheus supports the OAuth2
        client-credentials flow in its scrape configuration)."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(ops)
    # A registry per app keeps several apps in one process (tests) from clashing on metric names.
    # Innermost: the router has set the scope's route (the handler label) when it returns.
    app.add_middleware(RequestMetrics, **request_metrics(registry, frozenset({"/metrics"})))
