from datetime import date
from typing import Any

import structlog
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession

from common import openapi as common_openapi
from common.app import create_service_app
from common.asgi import Receive, Scope, Send
from common.auth import PUBLIC_PATHS, TokenVerifier
from common.daily import DailyJob, in_transaction

from . import openapi
from .auth import service as auth_service
from .auth.router import router as auth_router
from .events import repository as events_repository
from .events import retention
from .events.dispatcher import Dispatcher, DispatchMetrics
from .events.router import CHECK_PATH
from .events.router import router as events_router
from .proxy import ProxyMetrics, ProxyMiddleware, Upstreams
from .ratelimit import Limiter, MemoryLimiter, RedisLimiter
from .reports.router import router as reports_router
from .settings import GatewaySettings

DESCRIPTION = """The single entry point of AnSinh for partner systems: the postal network, the Social
Insurance office and the mobile-app backends of field officers and hospitals.

Get a token with your client credentials at `POST /auth/token`, then call any route below with
`Authorization: Bearer <token>`. Service routes are published under `/registry`, `/payments`,
`/insurance` and `/child-protection`. Every error is an RFC 9457 `application/problem+json` document."""

log = structlog.get_logger("gateway")

# The inbox check is signed with the service's inbox secret instead (see events/service.check_inbox).
GATEWAY_PUBLIC = PUBLIC_PATHS | {"/auth/token", "/.well-known/jwks.json", "/auth/revocations", CHECK_PATH}


class GatewayApp(FastAPI):
    """The gateway's app: requests under a service prefix go to the proxy first, ahead of the middleware stack
    (FastAPI's error, telemetry and body-limit layers, the request-id and token middleware), which they do not need
    and which cost about a third of the proxy's CPU per request (docs/benchmarks.md)."""

    proxy: ProxyMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        proxy = self.proxy
        if proxy is not None and scope["type"] == "http" and await proxy.handle(scope, receive, send):
            return
        await super().__call__(scope, receive, send)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    upstreams = Upstreams(settings)
    registry = CollectorRegistry()
    signer = auth_service.Signer()
    limiter: Limiter = (
        RedisLimiter(settings.redis_url, settings.redis_prefix) if settings.redis_url else MemoryLimiter()
    )
    verifier = TokenVerifier()
    # The proxy comes before everything of the gateway's own routes (GatewayApp): it checks tokens itself,
    # and the proxied path never enters FastAPI.
    proxy = ProxyMiddleware(
        None,
        upstreams=upstreams,
        metrics=ProxyMetrics(registry),
        verifier=verifier,
        limiter=limiter,
        default_rate=(float(settings.default_rate_per_second), settings.default_burst),
    )

    dispatch_metrics = DispatchMetrics(registry)

    async def prune(session: AsyncSession, day: date) -> dict[str, int]:
        return await retention.prune(
            session, delivered_days=settings.retention_delivered_days, events_days=settings.retention_events_days
        )

    retention_job = DailyJob(
        "hub_retention", at=settings.retention_at, run=in_transaction(prune), enabled=settings.retention_daily
    )

    async def start(app: FastAPI) -> None:
        """Upstream sessions, configured internal subscriptions, the event dispatcher."""
        await upstreams.start()
        async with app.state.sessionmaker() as session, session.begin():
            for sub in settings.internal_subscriptions:
                done = await events_repository.upsert_internal(
                    session, sub.name, sub.url, sub.types, sub.secret.get_secret_value()
                )
                if done.found != "active":  # ended or removed meanwhile: brought back, its missed events queued
                    log.warning(
                        "internal_subscription_restored", name=sub.name, found=done.found, replayed=done.replayed
                    )
        app.state.dispatcher = Dispatcher(app.state.sessionmaker, settings, settings.sqlalchemy_url, dispatch_metrics)
        await app.state.dispatcher.start()
        await retention_job.start(app)

    async def stop(app: FastAPI) -> None:
        await retention_job.stop(app)
        await app.state.dispatcher.stop()
        await upstreams.close()
        await limiter.close()

    def key_loader(app: FastAPI) -> Any:
        return auth_service.key_loader(app.state.sessionmaker, signer, settings.token_ttl_seconds)

    app = create_service_app(
        "gateway",
        settings,
        title="AnSinh API",
        description=DESCRIPTION,
        routers=[auth_router, events_router, reports_router],
        on_startup=[start],
        on_shutdown=[stop],
        public_paths=GATEWAY_PUBLIC,
        key_loader=key_loader,
        metrics_registry=registry,
        verifier=verifier,
        app_class=GatewayApp,
    )
    assert isinstance(app, GatewayApp)
    app.proxy = proxy
    app.state.upstreams = upstreams
    app.state.signer = signer

    def merged_openapi() -> dict[str, Any]:
        return openapi.merge(common_openapi.document(app, GATEWAY_PUBLIC), upstreams.openapi)

    app.openapi = merged_openapi  # type: ignore[method-assign]
    return app
