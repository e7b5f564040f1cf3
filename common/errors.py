"""One error tree for the whole suite, rendered as RFC 9457 ``application/problem+json``.

    AnSinhError                       500  internal           (never shows internals)
    ├── BadRequest                    400  bad-request
    ├── Unauthorized                  401  unauthorized       (adds WWW-Authenticate)
    ├── Forbidden                     403  forbidden
    │   └── MakerChecker              403  maker-checker      (another client approves)
    ├── NotFound                      404  not-found
    ├── MethodNotAllowed              405  method-not-allowed
    ├── Conflict                      409  conflict
    ├── PreconditionFailed            412  precondition-failed
    ├── PreconditionRequired          428  precondition-required  (If-Match missing)
    ├── PayloadTooLarge               413  payload-too-large
    ├── ValidationFailed              422  validation-failed  (carries ``errors``: field + reason)
    ├── RateLimited                   429  rate-limited       (adds Retry-After)
    ├── BadGateway                    502  bad-gateway
    ├── ServiceUnavailable            503  service-unavailable
    │   └── DatabaseUnavailable       503  database-unavailable  (adds Retry-After)
    └── GatewayTimeout                504  gateway-timeout

Raise these anywhere below the HTTP boundary; ``install_error_handlers`` turns them (and FastAPI's own
validation errors, Starlette's 404/405 and any unexpected exception) into problem documents with a
stable ``type`` URI per error, so partner code can switch on ``type`` rather than on message text.

A database that is restarting, failing over or unreachable is not an internal error: a lost connection,
a refused one, an administrator's shutdown or a write sent to a read-only standby
(:func:`database_unavailable`) answers 503 ``database-unavailable`` with ``Retry-After``, wherever in the
request it happens (a query, the commit after the handler, a middleware). The request's transaction was
rolled back with its connection, so nothing of it is half-written.
"""

from __future__ import annotations

import re
import socket
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import compile_path

from .asgi import Scope, Send, send_bytes

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://ansinh.gov.vn/problems/"

log = structlog.get_logger("errors")


class AnSinhError(Exception):
    status: int = 500
    code: str = "internal"
    title: str = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        if code:
            self.code = code
        if title:
            self.title = title
        self.headers = headers or {}
        self.extensions = extensions

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        return problem_body(self.status, self.code, self.title, self.detail, instance, **self.extensions)


class BadRequest(AnSinhError):
    status, code, title = 400, "bad-request", "Bad request"


class Unauthorized(AnSinhError):
    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="ansinh"'})
        super().__init__(detail, **kw)


class Forbidden(AnSinhError):
    status, code, title = 403, "forbidden", "Forbidden"


class MakerChecker(Forbidden):
    """403 ``maker-checker``: the client that made a record (drafted, generated, submitted) cannot also approve it."""

    code = "maker-checker"


class NotFound(AnSinhError):
    status, code, title = 404, "not-found", "Not found"


class MethodNotAllowed(AnSinhError):
    status, code, title = 405, "method-not-allowed", "Method not allowed"


class Conflict(AnSinhError):
    status, code, title = 409, "conflict", "Conflict"


class PreconditionFailed(AnSinhError):
    status, code, title = 412, "precondition-failed", "Precondition failed"


class PreconditionRequired(AnSinhError):
    status, code, title = 428, "precondition-required", "Precondition required"


class PayloadTooLarge(AnSinhError):
    status, code, title = 413, "payload-too-large", "Request body too large"


class ValidationFailed(AnSinhError):
    """422 with ``errors``: a list of ``{"field": "body.national_id", "reason": "..."}``."""

    status, code, title = 422, "validation-failed", "The request is not valid"

    def __init__(self, errors: list[dict[str, Any]], detail: str | None = None, **kw: Any) -> None:
        detail = detail or "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        super().__init__(detail, errors=errors, **kw)


class RateLimited(AnSinhError):
    status, code, title = 429, "rate-limited", "Too many requests"

    def __init__(self, retry_after: int, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"Retry-After": str(max(1, retry_after))})
        super().__init__(detail or f"Rate limit exceeded; retry after {retry_after} s", **kw)


class BadGateway(AnSinhError):
    status, code, title = 502, "bad-gateway", "Upstream service unavailable"


class ServiceUnavailable(AnSinhError):
    status, code, title = 503, "service-unavailable", "Service unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    code, title = "database-unavailable", "Database unavailable"
    retry_after = 2
    """Seconds: a restart takes a few; the pool reconnects on the next request."""

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"Retry-After": str(self.retry_after)})
        super().__init__(
            detail
            or (
                "the database is restarting, failing over or unreachable; this request's changes were rolled back. "
                f"Retry after {self.retry_after} s (with the same Idempotency-Key, if you sent one)"
            ),
            **kw,
        )


class GatewayTimeout(AnSinhError):
    status, code, title = 504, "gateway-timeout", "Upstream service timed out"


_STATUS_CODES: dict[int, type[AnSinhError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PreconditionFailed,
        PreconditionRequired,
        PayloadTooLarge,
        ValidationFailed,
        RateLimited,
        BadGateway,
        ServiceUnavailable,
        GatewayTimeout,
    )
}


# SQLSTATEs of a database that went away or cannot take writes now: connection exceptions (08…), an
# administrator's or a crash shutdown, "the database system is starting up / shutting down", too many
# connections, and a write reaching a read-only server (a standby after a failover).
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "25006"})


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database is unavailable (lost or refused connection, shutdown, failover) rather
    than that the request or the code is wrong. Looks through SQLAlchemy's wrapping to the driver's error."""
    from sqlalchemy import exc as sa_exc

    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        seen += 1
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, sa_exc.TimeoutError):  # no pooled connection came free in time
            return True
        if isinstance(current, ConnectionError | socket.gaierror):  # refused, reset, unknown host
            return True
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str) and (state.startswith("08") or state in _UNAVAILABLE_SQLSTATES):
            return True
        if type(current).__name__ == "InterfaceError" and "connection is closed" in str(current):
            return True  # asyncpg, on a connection it already knows is gone
        current = getattr(current, "orig", None) or current.__cause__
    return False


def problem_body(
    status: int, code: str, title: str, detail: str | None = None, instance: str | None = None, **ext: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": TYPE_BASE + code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(ext)
    return body


def problem_bytes(status: int, code: str, title: str, detail: str | None = None, **ext: Any) -> bytes:
    """Serialised problem body, for pure-ASGI code paths (the gateway proxy) that bypass FastAPI."""
    return orjson.dumps(problem_body(status, code, title, detail, **ext))


async def send_problem(scope: Scope, send: Send, exc: AnSinhError) -> None:
    """Answer ``exc`` from pure-ASGI code (a lean endpoint ahead of FastAPI's router) exactly as the app's error
    handler would: the same problem body (``instance``, ``request_id``) and headers."""
    body = exc.to_problem(instance=scope.get("path"))
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in exc.headers.items()]
    rid = scope.get("request_id")
    if rid:
        body["request_id"] = rid
        headers.append((b"x-request-id", str(rid).encode("latin-1")))
    await send_bytes(send, exc.status, orjson.dumps(body), PROBLEM_CONTENT_TYPE.encode(), headers)


class ProblemResponse(Response):
    media_type = PROBLEM_CONTENT_TYPE

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _pydantic_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        out.append({"field": ".".join(loc) or "body", "reason": err.get("msg", "invalid"), "kind": err.get("type")})
    return out


_ALLOW_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _route_table(app: Any) -> list[tuple[re.Pattern[str], int, frozenset[str]]]:
    """(path regex, number of path parameters, methods) of every route, included routers' too."""
    table = getattr(app.state, "allow_table", None)
    if table is None:
        from fastapi import routing

        contexts = (
            routing.iter_route_contexts(app.routes) if hasattr(routing, "iter_route_contexts") else app.routes
        )  # FastAPI before lazily included routers lists them flat
        table = []
        for route in contexts:
            path, methods = getattr(route, "path", None), getattr(route, "methods", None)
            if path and methods:
                regex = compile_path(path)[0]
                table.append((regex, regex.groups, frozenset(methods)))
        app.state.allow_table = table
    return table


def allowed_methods(request: Request) -> list[str]:
    """The methods of this request's path, and OPTIONS (answered here).

    The path's own routes count, not those that take it only through a parameter: on
    ``/units/mappings`` (POST) that is POST, although ``GET /units/{code}`` would take the path too.
    """
    path = request.scope["path"]
    matching = [(params, methods) for regex, params, methods in _route_table(request.app) if regex.match(path)]
    fewest = min((params for params, _ in matching), default=0)
    methods = set().union(*(m for params, m in matching if params == fewest))
    return [*(m for m in _ALLOW_ORDER if m in methods), "OPTIONS"]


def install_error_handlers(app: FastAPI) -> None:
    async def ansinh_error(request: Request, exc: AnSinhError) -> Response:
        body = exc.to_problem(instance=request.url.path)
        headers = dict(exc.headers)
        rid = request.scope.get("request_id")
        if rid:  # 500s are rendered outside the request-id middleware, so set the header here too
            body["request_id"] = headers["x-request-id"] = rid
        return ProblemResponse(body, status_code=exc.status, headers=headers)

    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return await ansinh_error(request, ValidationFailed(_pydantic_errors(exc)))

    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:  # Starlette's Allow names one route's methods; the path may have more
            allow = ", ".join(allowed_methods(request))
            if request.method == "OPTIONS":
                return Response(status_code=204, headers={"Allow": allow})
            exc.headers = {**(exc.headers or {}), "Allow": allow}
        cls = _STATUS_CODES.get(exc.status_code, AnSinhError)
        generic = exc.detail in (None, cls.title, "Not Found", "Method Not Allowed")
        err = AnSinhError(
            None if generic else str(exc.detail),
            code=cls.code if cls is not AnSinhError else f"http-{exc.status_code}",
            title=cls.title if cls is not AnSinhError else str(exc.detail),
            headers=dict(exc.headers or {}),
        )
        err.status = exc.status_code
        return await ansinh_error(request, err)

    async def database_error(request: Request, exc: Exception) -> Response:
        if not database_unavailable(exc):
            raise exc  # a bug, not an outage: the generic 500 below, with the traceback in the log
        log.warning("database_unavailable", path=request.url.path, error_type=type(exc).__name__, error=str(exc)[:200])
        return await ansinh_error(request, DatabaseUnavailable())

    async def unexpected(request: Request, exc: Exception) -> Response:
        if database_unavailable(exc):  # raised outside the routes (a middleware's query)
            return await database_error(request, exc)
        if isinstance(exc, ClientDisconnect):  # the caller went away mid-body: nothing to answer, no alarm
            log.info("client_disconnected", path=request.url.path)
            return await ansinh_error(request, BadRequest("the client disconnected before sending the whole body"))
        # Internals stay in the log; the partner sees a request id to quote.
        log.exception("unhandled_exception", path=request.url.path, error_type=type(exc).__name__)
        return await ansinh_error(request, AnSinhError("An unexpected error occurred; quote the request id."))

    app.add_exception_handler(AnSinhError, ansinh_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    from sqlalchemy import exc as sa_exc

    for db_error in (sa_exc.DBAPIError, sa_exc.TimeoutError, ConnectionError, socket.gaierror, *_driver_errors()):
        app.add_exception_handler(db_error, database_error)
    app.add_exception_handler(Exception, unexpected)


def _driver_errors() -> tuple[type[Exception], ...]:
    """asyncpg's own errors, for code that uses the driver directly (COPY, LISTEN)."""
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a runtime dependency
        return ()
    return (asyncpg.PostgresError, asyncpg.InterfaceError)
