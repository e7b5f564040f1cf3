"""Request metrics: every request counted and timed under its route's template, never under the raw path (which
would carry person ids), and the metrics page itself left out."""

import httpx
from fastapi import FastAPI, HTTPException
from prometheus_client import CollectorRegistry, generate_latest

from common.metrics import RequestMetrics, request_metrics


def _app() -> tuple[FastAPI, CollectorRegistry]:
    app = FastAPI()
    registry = CollectorRegistry()

    @app.get("/persons/{person_id}")
    async def person(person_id: str) -> dict[str, str]:
        if person_id == "missing":
            raise HTTPException(404)
        return {"id": person_id}

    @app.get("/metrics")
    async def metrics() -> dict[str, str]:
        return {}

    app.add_middleware(RequestMetrics, **request_metrics(registry, frozenset({"/metrics"})))
    return app, registry


async def test_requests_are_counted_by_route_template_and_status():
    app, registry = _app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        for path in ("/persons/123456789012", "/persons/2", "/persons/missing", "/nowhere", "/metrics"):
            await http.get(path)
    text = generate_latest(registry).decode()
    assert 'http_requests_total{handler="/persons/{person_id}",method="GET",status="200"} 2.0' in text
    assert 'http_requests_total{handler="/persons/{person_id}",method="GET",status="404"} 1.0' in text
    assert 'http_requests_total{handler="none",method="GET",status="404"} 1.0' in text
    assert 'http_request_duration_seconds_count{handler="/persons/{person_id}",method="GET"} 3.0' in text
    assert "123456789012" not in text
    assert 'handler="/metrics"' not in text
