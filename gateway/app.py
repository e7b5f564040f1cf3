from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from common.app import create_service_app

from .proxy import ProxyMetrics, ProxyMiddleware, Upstreams
from .settings import GatewaySettings

DESCRIPTION = """The single entry point of AnSinh for partner systems: the postal network, the Social
Insurance office and the mobile-app backends of field officers and hospitals.

Service routes are published under `/registry`, `/payments`, `/insurance` and `/child-protection`."""


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    upstreams = Upstreams(settings)
    registry = CollectorRegistry()

    async def open_upstreams(app: FastAPI) -> None:
        await upstreams.start()

    async def close_upstreams(app: FastAPI) -> None:
        await upstreams.close()

    app = create_service_app(
        "gateway", settings, title="AnSinh gateway", description=DESCRIPTION,
        on_startup=[open_upstreams], on_shutdown=[close_upstreams],
        middleware=[(ProxyMiddleware, {"upstreams": upstreams, "metrics": ProxyMetrics(registry)})],
        metrics_registry=registry,
    )
    app.state.upstreams = upstreams
    return app
