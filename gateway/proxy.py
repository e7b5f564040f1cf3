"""The proxy path: pure ASGI in front of the gateway's own routes, a lean HTTP/1.1 client to the services.

``/registry/*``, ``/payments/*``, ``/insurance/*`` and ``/child-protection/*`` go to the services over
a pool of long-lived keep-alive connections per upstream (:mod:`gateway.http1`); everything else falls through to the
gateway's FastAPI routes. On the way: the bearer token is verified (cached until expiry), the route's scopes
checked against the service's OpenAPI, the client's rate limit applied, and the service's circuit
breaker consulted. Bodies are streamed both ways (never buffered whole), hop-by-hop headers dropped,
``X-Forwarded-*`` set, ``X-Request-ID`` and ``traceparent`` passed on. A service that cannot be reached
gives a 502 problem, one that stops answering a 504 problem — never a hang or a 500.

Not a general HTTP client: httpx reached 436 req/s where aiohttp did ~5,000 on this machine, and aiohttp's
``ClientSession`` was still about half of the gateway's CPU per proxied request; :mod:`gateway.http1` writes the bytes
the proxy built and parses the answer with httptools (docs/benchmarks.md; ``bench/gateway.py`` measures it).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import aiohttp
import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram

from common.asgi import ASGIApp, Receive, Scope, Send, get_header, send_bytes
from common.auth import Principal, TokenError, TokenVerifier, bearer_token, scope_refusal
from common.errors import PROBLEM_CONTENT_TYPE, problem_bytes
from common.logging import ensure_request_id
from common.settings import public_prefix

from . import http1
from .breaker import CircuitBreaker
from .ratelimit import Limiter, retry_after_seconds
from .routes import RouteTable
from .settings import GatewaySettings

log = structlog.get_logger("gateway.proxy")

# RFC 9110 §7.6.1 connection-specific headers, plus ones the proxy sets itself.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"proxy-connection",
    }
)
_DROP_REQUEST = HOP_BY_HOP | {
    b"host",
    b"x-forwarded-for",
    b"x-forwarded-proto",
    b"x-forwarded-host",
    b"x-forwarded-prefix",
    b"x-request-id",
    b"content-length",
    b"expect",  # the gateway's server has answered the client's 100-continue; the service is sent the body anyway
}
# uvicorn sets its own date and server headers; the request id is the gateway's.
_DROP_RESPONSE = HOP_BY_HOP | {b"date", b"server", b"x-request-id"}
CHUNK = 64 * 1024
REPLAY_BYTES = 1024 * 1024
"""Request bytes kept to send a request again when the service never read it (a stale pooled connection)."""
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORWARDED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods the services may answer; any other is refused at the gateway (405, with the path's ``Allow``)."""
AUTH_CHECK_PATH = "/auth/check"
"""The decision endpoint of nginx's ``auth_request`` (the nginx data plane, deploy/nginx)."""
_PUBLIC_SERVICE_PATHS = frozenset({"/health", "/ready", "/openapi.json"})
_PROBLEM = PROBLEM_CONTENT_TYPE.encode()
_WWW_AUTHENTICATE = [(b"www-authenticate", b'Bearer realm="ansinh", error="invalid_token"')]


@dataclass(slots=True)
class Refusal:
    """A problem response decided before forwarding: status, body, extra headers."""

    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]]


class BodyTooLarge(Exception):
    pass


class Upstreams:
    """Per service: a pool of keep-alive connections for the proxy path (:mod:`gateway.http1`), an aiohttp session
    for the gateway's own calls (OpenAPI documents, the annual report), a route table and a circuit breaker."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.base_urls = settings.upstreams()
        self.routes: list[tuple[bytes, str]] = sorted(
            ((public_prefix(name).encode(), name) for name in self.base_urls), key=lambda r: -len(r[0])
        )
        self.pools: dict[str, http1.Pool] = {}
        self.sessions: dict[str, aiohttp.ClientSession] = {}
        self.tables: dict[str, RouteTable] = {}
        self.openapi: dict[str, dict[str, Any]] = {}
        self.breakers = {
            name: CircuitBreaker(settings.breaker_threshold, settings.breaker_cooldown) for name in self.base_urls
        }
        self.timeout = aiohttp.ClientTimeout(
            total=None, connect=settings.upstream_connect_timeout, sock_read=settings.upstream_read_timeout
        )
        self._refresh_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        for name, base in self.base_urls.items():
            self.pools[name] = http1.Pool(
                base,
                limit=self.settings.upstream_pool_size,
                keepalive=self.settings.upstream_keepalive_seconds,
                connect_timeout=self.settings.upstream_connect_timeout,
                read_timeout=self.settings.upstream_read_timeout,
            )
            # No cookie jar: a service's Set-Cookie is never to be kept and sent on behalf of the next caller.
            self.sessions[name] = aiohttp.ClientSession(
                base_url=base,
                connector=aiohttp.TCPConnector(limit=10, keepalive_timeout=self.settings.upstream_keepalive_seconds),
                timeout=self.timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        await self.load_openapi()
        self._refresh_task = asyncio.create_task(self._refresh_loop())

    async def close(self) -> None:
        if self._refresh_task:
            self._refresh_task.cancel()
        for pool in self.pools.values():
            pool.close()
        self.pools.clear()
        await asyncio.gather(*(s.close() for s in self.sessions.values()))
        self.sessions.clear()

    async def load_openapi(self) -> None:
        """Read each service's OpenAPI (route scopes, merged document); keep the last good copy."""

        async def one(name: str) -> None:
            try:
                async with self.sessions[name].get("/openapi.json") as resp:
                    resp.raise_for_status()
                    doc = await resp.json()
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                log.info("openapi_unavailable", service=name, error=type(exc).__name__)
                return
            self.openapi[name] = doc
            self.tables[name] = RouteTable.from_openapi(doc)

        await asyncio.gather(*(one(name) for name in self.sessions))

    async def _refresh_loop(self) -> None:
        while True:
            missing = len(self.openapi) < len(self.sessions)
            await asyncio.sleep(
                min(2.0, self.settings.openapi_refresh_seconds) if missing else self.settings.openapi_refresh_seconds
            )
            await self.load_openapi()

    def match(self, path: str) -> tuple[str, str] | None:
        """``/registry/persons`` → (``registry``, ``/persons``); None when no service owns the path."""
        raw = path.encode()
        for prefix, name in self.routes:
            if raw.startswith(prefix) and (len(raw) == len(prefix) or raw[len(prefix)] == 0x2F):
                return name, path[len(prefix) :] or "/"
        return None


class ProxyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.responses = Counter(
            "gateway_upstream_responses_total",
            "Responses by service and status",
            ["service", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "gateway_upstream_latency_seconds",
            "Time to upstream response headers",
            ["service"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )
        self.refused = Counter(
            "gateway_refused_total", "Requests refused at the gateway, by reason", ["reason"], registry=registry
        )
        self.retried = Counter(
            "gateway_upstream_retries_total",
            "Requests sent again on a new connection because the service closed the pooled one without reading them",
            ["service"],
            registry=registry,
        )


class ProxyMiddleware:
    """Pure ASGI: proxies service prefixes, passes every other request to the gateway's own app."""

    def __init__(
        self,
        app: ASGIApp | None,
        upstreams: Upstreams,
        metrics: ProxyMetrics,
        verifier: TokenVerifier,
        limiter: Limiter,
        default_rate: tuple[float, int],
    ) -> None:
        self.app = app
        self.upstreams = upstreams
        self.metrics = metrics
        self.verifier = verifier
        self.limiter = limiter
        self.default_rate = default_rate
        self.max_body = upstreams.settings.max_body_bytes
        self.cache_seconds = upstreams.settings.auth_cache_seconds
        self.cache_min_rate = upstreams.settings.auth_cache_min_rate
        # Label lookups cost more than the increment: resolved once.
        self._refused_no_token = metrics.refused.labels("no_token")
        self._refused_bad_token = metrics.refused.labels("bad_token")
        self._refused_scope = metrics.refused.labels("scope")
        self._refused_rate = metrics.refused.labels("rate_limit")
        self._latency_children: dict[str, Any] = {}
        self._response_children: dict[tuple[str, int], Any] = {}

    def _latency(self, service: str) -> Any:
        child = self._latency_children.get(service)
        if child is None:
            child = self._latency_children[service] = self.metrics.latency.labels(service)
        return child

    def _responses(self, service: str, status: int) -> Any:
        child = self._response_children.get((service, status))
        if child is None:
            child = self._response_children[(service, status)] = self.metrics.responses.labels(service, str(status))
        return child

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As a middleware (tests of the proxy alone): what :meth:`handle` does not serve goes to ``app``."""
        if scope["type"] != "http" or not await self.handle(scope, receive, send):
            if self.app is None:
                raise RuntimeError("ProxyMiddleware without an app serves only proxied paths (use handle)")
            await self.app(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Serve an HTTP request under a service prefix (or ``/auth/check``); False for any other path.

        The gateway's app (:class:`gateway.app.GatewayApp`) calls this before its own middleware stack, so a proxied
        request costs none of it: the request id is set and echoed here, and an unexpected error still answers a
        500 problem."""
        path = scope["path"]
        if path == AUTH_CHECK_PATH:
            ensure_request_id(scope)
            await self.check(scope, send)
            return True
        target = self.upstreams.match(path)
        if target is None:
            return False
        ensure_request_id(scope)
        try:
            service, path = target
            decided = await self.decide(scope, scope["method"], service, path)
            if isinstance(decided, Refusal):
                await _send_refusal(scope, send, decided)
                return True
            await self.forward(scope, receive, send, service, path)
        except Exception:
            log.exception("proxy_failed", request_id=scope["request_id"])
            try:  # fails if the response had started: the client sees a cut-off body
                await _problem(
                    scope, send, 500, "internal-error", "Internal server error", "the gateway failed on this request"
                )
            except Exception:  # noqa: S110 - nothing more can be said to this client
                pass
        return True

    async def decide(self, scope: Scope, method: str, service: str, path: str) -> Refusal | Principal | None:
        """Every decision the gateway makes before forwarding a request: token, method, route scopes, rate limit.

        A :class:`Refusal` (401, 403, 404, 405 or 429 problem), or the caller (None for the services' public
        paths). The proxy path and the check that nginx asks (:meth:`check`) both come here, so they answer alike.
        """
        if path in _PUBLIC_SERVICE_PATHS:  # public at the service too
            return None
        token = bearer_token(scope)
        if token is None:
            self._refused_no_token.inc()
            return _unauthorized(scope, "send an access token: Authorization: Bearer <token>")
        try:
            principal = await self.verifier.verify(token)
        except TokenError as exc:
            self._refused_bad_token.inc()
            return _unauthorized(scope, exc.reason)
        table = self.upstreams.tables.get(service)
        if method not in FORWARDED_METHODS:  # TRACE, CONNECT, …: no service route has them
            allow = table.allowed(path) if table is not None else []
            if not allow:
                return _refusal(scope, 404, "not-found", "Not found", f"no route {path}")
            return _refusal(
                scope,
                405,
                "method-not-allowed",
                "Method not allowed",
                f"{method} is not a method of this path",
                headers=[(b"allow", ", ".join([*allow, "OPTIONS"]).encode())],
            )
        needed = table.required(method, path) if table is not None else None
        # One of the route's scope alternatives will do; the refusal's words only when none does (the hot path).
        open_to = not needed or any(principal.has(*alternative) for alternative in needed)
        refused = None if open_to else scope_refusal(principal, [sorted(s) for s in needed or ()])
        if refused is not None:
            self._refused_scope.inc()
            detail, missing = refused
            return _refusal(scope, 403, "forbidden", "Forbidden", detail, required_scopes=missing)
        rate, burst = principal.rate_limit or self.default_rate
        wait = await self.limiter.hit(principal.client_id, rate, burst)
        if wait is not None:
            self._refused_rate.inc()
            seconds = retry_after_seconds(wait)
            return _refusal(
                scope,
                429,
                "rate-limited",
                "Too many requests",
                f"rate limit of {rate:g} requests/s (burst {burst}) exceeded; retry after {seconds} s",
                headers=[(b"retry-after", str(seconds).encode())],
            )
        return principal

    async def check(self, scope: Scope, send: Send) -> None:
        """``/auth/check``: the decision for nginx's ``auth_request`` (deploy/nginx, docs/operations.md).

        nginx sends the original method, URI and the service its location routes to; the answer is 200 (pass; with
        ``X-Accel-Expires`` when nginx may reuse it for this token and route) or 403 carrying the refusal the proxy
        path would have answered (status, problem document, headers), which nginx returns to the client as is.
        With ``X-Ansinh-Error`` (413, 502, 504: nginx's own failures) it answers the problem document itself.
        """
        error = get_header(scope, b"x-ansinh-error")
        named = (get_header(scope, b"x-ansinh-service") or b"").decode("latin-1")
        if error is not None:
            refusal = _nginx_error(scope, error, named, self.max_body)
            await _send_refusal(scope, send, refusal)
            return
        method = (get_header(scope, b"x-original-method") or b"GET").decode("latin-1")
        raw = (get_header(scope, b"x-original-uri") or b"/").split(b"?", 1)[0]
        path = unquote(raw.decode("latin-1"))
        target = self.upstreams.match(path)
        render = get_header(scope, b"x-ansinh-render") is not None  # a method nginx refused before routing
        if render and target is not None:
            named = target[0]
        decided: Refusal | Principal | None
        if target is None or target[0] != named:  # nginx routed it elsewhere than the gateway would: refuse
            decided = _refusal(scope, 404, "not-found", "Not found", f"no route {path}")
        else:
            decided = await self.decide(scope, method, target[0], target[1])
        if render:
            if not isinstance(decided, Refusal):
                decided = _refusal(scope, 404, "not-found", "Not found", f"no route {path}")
            await _send_refusal(scope, send, decided)
            return
        if isinstance(decided, Refusal):
            headers = [
                (b"content-length", b"0"),
                (b"x-ansinh-status", str(decided.status).encode()),
                (b"x-ansinh-problem", _ascii_json(decided.body)),
            ]
            headers += [(b"x-ansinh-" + name, value) for name, value in decided.headers]
            await send({"type": "http.response.start", "status": 403, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [(b"content-length", b"0")]
        seconds = self._cacheable_for(decided)
        if seconds > 0:
            headers.append((b"x-accel-expires", str(seconds).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def _cacheable_for(self, principal: Principal | None) -> int:
        """Seconds nginx may answer this token and route from its cache without asking again (0: ask every time).

        Only callers whose rate limit is at least ``auth_cache_min_rate``: a cached pass is not counted against the
        client's bucket, so a client with an ordinary limit is checked on every request. Never past the token's
        expiry."""
        if self.cache_seconds <= 0:
            return 0
        if principal is None:
            return self.cache_seconds
        rate = (principal.rate_limit or self.default_rate)[0]
        if rate < self.cache_min_rate:
            return 0
        return max(0, min(self.cache_seconds, int(principal.expires_at - time.time())))

    async def forward(self, scope: Scope, receive: Receive, send: Send, service: str, path: str) -> None:
        method: str = scope["method"]
        length = get_header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _problem(
                scope,
                send,
                413,
                "payload-too-large",
                "Request body too large",
                f"the body is {int(length)} bytes; the limit is {self.max_body}",
            )
            return
        pool = self.upstreams.pools.get(service)
        if pool is None:  # lifespan not run (or shutting down)
            await _problem(scope, send, 503, "service-unavailable", "Service unavailable", "gateway is not ready")
            return
        breaker = self.upstreams.breakers[service]
        wait = breaker.allow()
        if wait is not None:
            self._responses(service, 502).inc()
            await _problem(
                scope,
                send,
                502,
                "bad-gateway",
                "Upstream service unavailable",
                f"the {service} service is failing; not trying again for {wait:.0f} s",
                headers=[(b"retry-after", str(retry_after_seconds(wait)).encode())],
            )
            return

        head = self._request_head(scope, method, _upstream_target(scope, service, path), pool.host_header)
        body = None
        if method not in _NO_BODY_METHODS or length not in (None, b"0"):
            body = _RequestBody(receive, self.max_body, length if length is not None and length.isdigit() else None)

        started = time.perf_counter()
        retry = False
        while True:
            conn: http1.Connection | None = None
            try:
                conn = await pool.acquire(fresh=retry)
                conn.begin(head_only=method == "HEAD")
                await _send_request(conn, head, body, retry)
                await conn.read_head()
                break
            except (BodyTooLarge, ClientGone, http1.UpstreamError) as exc:
                if conn is not None:
                    pool.release(conn, reuse=False)
                if isinstance(exc, ClientGone):
                    return  # no one to answer; the service saw an unfinished request on a closed connection
                if isinstance(exc, BodyTooLarge):
                    await _problem(
                        scope,
                        send,
                        413,
                        "payload-too-large",
                        "Request body too large",
                        f"the body exceeds the limit of {self.max_body} bytes",
                    )
                    return
                if not retry and conn is not None and conn.reused and _never_applied(method, exc, body):
                    # A stale pooled connection (the service closed it as the request went out): sent again, once, on
                    # a new connection. It says nothing about the service's health: not a breaker failure.
                    self.metrics.retried.labels(service).inc()
                    log.info(
                        "upstream_connection_reset_retried",
                        service=service,
                        error=str(exc),
                        request_id=scope.get("request_id"),
                    )
                    retry = True
                    continue
                breaker.failure()
                await self._upstream_failed(scope, send, service, exc, False)
                return
            except BaseException:
                if conn is not None:
                    pool.release(conn, reuse=False)
                raise

        status = conn.status
        breaker.success()
        self._latency(service).observe(time.perf_counter() - started)
        self._responses(service, status).inc()
        out = [(name, value) for name, value in conn.headers if name not in _DROP_RESPONSE]
        out.append((b"x-request-id", scope["request_id"].encode()))
        response_started = False
        try:
            if method == "HEAD":
                await send({"type": "http.response.start", "status": status, "headers": out})
                await send({"type": "http.response.body", "body": b""})
                return
            if conn.complete or _small(conn.headers):
                # A small answer whole: one body message instead of a chunk and an end (a write less).
                content = await conn.read_all()
                await send({"type": "http.response.start", "status": status, "headers": out})
                response_started = True
                await send({"type": "http.response.body", "body": content})
                return
            await send({"type": "http.response.start", "status": status, "headers": out})
            response_started = True
            while chunk := await conn.read():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except http1.UpstreamError as exc:
            if not response_started:
                breaker.failure()
            await self._upstream_failed(scope, send, service, exc, response_started)
        finally:
            # A service that failed may close this connection a moment after its answer (uvicorn does, after logging
            # the exception): never handed to the next request.
            pool.release(conn, reuse=status < 500)

    async def _upstream_failed(
        self, scope: Scope, send: Send, service: str, exc: BaseException, response_started: bool
    ) -> None:
        timed_out = isinstance(exc, TimeoutError)  # http1.ConnectTimeout and http1.ReadTimeout
        status = 504 if timed_out else 502
        self._responses(service, status).inc()
        log.warning(
            "upstream_timeout" if timed_out else "upstream_unreachable",
            service=service,
            error=type(exc).__name__,
            response_started=response_started,
            request_id=scope.get("request_id"),
        )
        if response_started:  # too late for a problem document; the client sees a cut-off body
            return
        if timed_out:
            await _problem(
                scope,
                send,
                504,
                "gateway-timeout",
                "Upstream service timed out",
                f"the {service} service did not answer in time",
            )
        else:
            await _problem(
                scope, send, 502, "bad-gateway", "Upstream service unavailable", f"the {service} service is unreachable"
            )

    def _request_head(self, scope: Scope, method: str, target: bytes, host: bytes) -> bytes:
        """Request line and headers, up to (not including) the body's framing header and the blank line.

        The client's headers pass as they came (repeated ones joined with ", "), less the hop-by-hop ones and those
        the gateway sets: ``Host`` (the service's), ``X-Forwarded-For/-Proto/-Host``, ``X-Request-ID``."""
        headers: dict[bytes, bytes] = {}
        client_ip = b""
        forwarded_host = b""
        for key, value in scope["headers"]:
            if key in _DROP_REQUEST:
                if key == b"host":
                    forwarded_host = value
                elif key == b"x-forwarded-for":
                    client_ip = value + b", "
                continue
            headers[key] = headers[key] + b", " + value if key in headers else value
        client = scope.get("client")
        parts = [method.encode("ascii"), b" ", target, b" HTTP/1.1\r\nhost: ", host, b"\r\n"]
        for key, value in headers.items():
            parts += (key, b": ", value, b"\r\n")
        parts += (
            b"x-forwarded-for: ",
            client_ip + (client[0].encode("latin-1") if client else b"unknown"),
            b"\r\nx-forwarded-proto: ",
            scope.get("scheme", "http").encode("latin-1"),
            b"\r\n",
        )
        if forwarded_host:
            parts += (b"x-forwarded-host: ", forwarded_host, b"\r\n")
        parts += (b"x-request-id: ", ensure_request_id(scope).encode("latin-1"), b"\r\n")
        return b"".join(parts)


class ClientGone(Exception):
    """The client disconnected before its request body ended: nothing may be sent as if it were whole."""


def _never_applied(method: str, exc: http1.UpstreamError, body: _RequestBody | None) -> bool:
    """True when a request that failed on a reused pooled connection can be sent again without being applied twice.

    Only if no byte of an answer came back, the whole body is still at hand, and either the connection was reset (the
    kernel resets a connection closed with unread data, and a write to a closed one fails: the service closed it with
    our bytes unread — typically a keep-alive connection it closed just as the gateway reused it) or the method is
    safe (RFC 9110 §9.2.1: a clean close after the request went out may mean the service read it, acted, then died;
    sending a GET again is harmless, a POST is not)."""
    if not isinstance(exc, http1.ConnectionLost) or exc.answered:
        return False
    if body is not None and not body.replayable:
        return False
    return exc.reset or method in _SAFE_METHODS


def _small(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"content-length":
            return value.isdigit() and int(value) <= CHUNK
    return False


async def _send_request(conn: http1.Connection, head: bytes, body: _RequestBody | None, retry: bool) -> None:
    """Write the request: headers and the first part of the body in one write, the rest as the client sends it
    (with backpressure), framed by the client's ``Content-Length``, else by the whole body's length when it came
    in one piece, else chunked. On a retry the kept start of the body is sent again first."""
    if body is None:
        await conn.write(head + b"\r\n")
        return
    queue = list(body.kept) if retry else []
    if not queue and not body.done:
        queue.append(await body.read())
    chunked = False
    if body.length is not None:
        framing = b"content-length: " + body.length
    elif body.done:
        framing = b"content-length: %d" % sum(map(len, queue))
    else:
        framing = b"transfer-encoding: chunked"
        chunked = True
    pending = [head, framing, b"\r\n\r\n"]
    while True:
        for chunk in queue:
            if chunk:
                pending.append(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
        if body.done and chunked:
            pending.append(b"0\r\n\r\n")
        if pending:
            await conn.write(b"".join(pending) if len(pending) > 1 else pending[0])
        if body.done:
            return
        if conn.head_done:  # the service answered without waiting for the rest: the connection cannot carry another
            conn.keep_alive = False
            return
        queue = [await body.read()]
        pending = []


class _RequestBody:
    """The client's body, read as the service's connection takes it, stopping once it passes the size limit.

    The first ``REPLAY_BYTES`` are kept, so that a request the service never read can be sent again on a new
    connection (:func:`_never_applied`). Past that, nothing is kept and the request is not ``replayable``.
    """

    def __init__(self, receive: Receive, limit: int, length: bytes | None) -> None:
        self.receive = receive
        self.limit = limit
        self.length = length
        self.replayable = True
        self.kept: list[bytes] = []
        self.done = False
        self._seen = 0

    async def read(self) -> bytes:
        """The client's next chunk (kept while replayable)."""
        message = await self.receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        if not message.get("more_body", False):
            self.done = True
        chunk: bytes = message.get("body", b"")
        if chunk:
            self._seen += len(chunk)
            if self._seen > self.limit:
                raise BodyTooLarge
            if self.replayable and self._seen <= REPLAY_BYTES:
                self.kept.append(chunk)
            else:
                self.replayable = False
                self.kept = []
        return chunk


_UNSAFE_TARGET = re.compile(rb"[^\x21-\x7e]")


def _upstream_target(scope: Scope, service: str, path: str) -> bytes:
    """The request target to send the service: the path still percent-encoded as the client sent it, and the query.

    ``scope["path"]`` is decoded: ``/persons/a%3Fb`` would reach the service as ``/persons/a?b``, a
    different path with a query. The raw path keeps ``%3F``, ``%23`` and ``%2F`` as they were. A byte that may not
    appear in a request line (space, control, non-ASCII) is percent-encoded.
    """
    raw = scope.get("raw_path")
    prefix = public_prefix(service).encode()
    if raw and raw.startswith(prefix) and raw.isascii():
        target = raw[len(prefix) :] or b"/"
    else:
        target = quote(path, safe="/:@!$&'()*+,;=-._~").encode("ascii")
    query = scope.get("query_string", b"")
    if query:
        target = target + b"?" + query
    if _UNSAFE_TARGET.search(target):
        target = _UNSAFE_TARGET.sub(lambda m: b"%%%02X" % m[0][0], target)
    return target


def _refusal(
    scope: Scope,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    **ext: Any,
) -> Refusal:
    return Refusal(
        status, problem_bytes(status, code, title, detail, request_id=ensure_request_id(scope), **ext), headers or []
    )


def _unauthorized(scope: Scope, reason: str) -> Refusal:
    return _refusal(scope, 401, "unauthorized", "Authentication required", reason, headers=_WWW_AUTHENTICATE)


def _ascii_json(body: bytes) -> bytes:
    """The problem document as one header value: the same JSON, non-ASCII and control characters escaped."""
    return json.dumps(json.loads(body), ensure_ascii=True, separators=(",", ":")).encode()


def _nginx_error(scope: Scope, error: bytes, service: str, max_body: int) -> Refusal:
    """The problem document for a failure nginx meets itself, worded as the proxy path words it."""
    if error == b"413":
        return _refusal(
            scope, 413, "payload-too-large", "Request body too large", f"the body exceeds the limit of {max_body} bytes"
        )
    if error == b"504":
        return _refusal(
            scope, 504, "gateway-timeout", "Upstream service timed out", f"the {service} service did not answer in time"
        )
    return _refusal(scope, 502, "bad-gateway", "Upstream service unavailable", f"the {service} service is unreachable")


async def _problem(
    scope: Scope,
    send: Send,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    **ext: Any,
) -> None:
    await _send_refusal(scope, send, _refusal(scope, status, code, title, detail, headers, **ext))


async def _send_refusal(scope: Scope, send: Send, refusal: Refusal) -> None:
    await send_bytes(
        send,
        refusal.status,
        refusal.body,
        _PROBLEM,
        [*refusal.headers, (b"x-request-id", scope["request_id"].encode())],
    )
