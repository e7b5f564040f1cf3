"""Request metrics of every process: a pure ASGI middleware with the two metrics operators read.

``http_requests_total{method,handler,status}`` and ``http_request_duration_seconds{method,handler}`` (histogram),
where ``handler`` is the route's template (``/insurance/coverage``, ``/persons/{person_id}``), or ``none`` for a
path no route matched. It replaces prometheus-fastapi-instrumentator, whose per-response work (request and
response sizes, a second high-resolution histogram, an ``asyncio.gather`` of its instrumentations, a scan of the
routes to find the template) was most of a small request's CPU outside the route. Here a request costs two clock
reads and two updates of a cached metric child.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Receive, Scope, Send

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def request_metrics(registry: CollectorRegistry, excluded: frozenset[str]) -> dict[str, Any]:
    """The options of :class:`RequestMetrics` (``app.add_middleware(RequestMetrics, **options)``): the metrics are
    registered here, once, whenever Starlette builds its middleware stack."""
    total = Counter(
        "http_requests_total",
        "HTTP requests by method, route and status",
        ("method", "handler", "status"),
        registry=registry,
    )
    duration = Histogram(
        "http_request_duration_seconds",
        "Time to answer an HTTP request, by method and route",
        ("method", "handler"),
        buckets=BUCKETS,
        registry=registry,
    )
    return {"total": total, "duration": duration, "excluded": excluded}


class RequestMetrics:
    """Counts and times every HTTP request but those to ``excluded`` paths."""

    def __init__(self, app: ASGIApp, total: Counter, duration: Histogram, excluded: frozenset[str]) -> None:
        self.app = app
        self.excluded = excluded
        self.total = total
        self.duration = duration
        self._counters: dict[tuple[str, str, str], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.excluded:
            await self.app(scope, receive, send)
            return
        status = 500  # an exception before the response started is answered 500 by the outer layers

        async def send_status(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_status)
        finally:
            self._record(scope, status, time.perf_counter() - start)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")  # set by the router on the scope it was given (the same dict)
        handler = getattr(route, "path_format", None) or getattr(route, "path", None) or "none"
        method = scope["method"]
        key = (method, handler)
        timer = self._timers.get(key)
        if timer is None:
            timer = self._timers[key] = self.duration.labels(method, handler)
        timer.observe(seconds)
        ckey = (method, handler, str(status))
        counter = self._counters.get(ckey)
        if counter is None:
            counter = self._counters[ckey] = self.total.labels(*ckey)
        counter.inc()
