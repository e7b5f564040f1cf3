"""JSON logs with structlog, every line carrying the request id of the request it belongs to."""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars

from .asgi import ASGIApp, Receive, Scope, Send, get_header


def configure_logging(level: str = "INFO", json: bool = True, service: str | None = None) -> None:
    """structlog for our code, and the stdlib loggers (uvicorn, alembic) rendered the same way."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = _StdoutHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per outgoing request is noise here
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    if service:
        structlog.contextvars.bind_contextvars(service=service)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is now (test runners swap it), not the one seen at start-up."""

    @property  # type: ignore[override,unused-ignore]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


class RequestIdMiddleware:
    """Pure ASGI: reuse a sane incoming ``X-Request-ID`` or make one; echo it; bind it to the log context."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ensure_request_id(scope)
        clear_contextvars()
        bind_contextvars(request_id=rid)
        raw = rid.encode()

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                headers.append((b"x-request-id", raw))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


def ensure_request_id(scope: Scope) -> str:
    """The request id for this scope: an incoming printable one (≤128 chars) or a new UUID."""
    rid = scope.get("request_id")
    if rid:
        return str(rid)
    incoming = get_header(scope, b"x-request-id")
    if incoming and len(incoming) <= 128 and incoming.isascii() and incoming.decode().isprintable():
        rid = incoming.decode()
    else:
        rid = str(uuid.uuid4())
    scope["request_id"] = rid
    return rid
