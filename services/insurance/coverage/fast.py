"""``GET /coverage`` answered ahead of FastAPI's router: the same rules as the documented route in :mod:`.router`, at
a fraction of its cost.

The check is the service's hottest path (hospitals and field-officer apps, many calls a second), and on it the
framework cost more than the work: matching the path against every route, solving the dependencies (the OAuth2
scheme, the security scopes, three parameters), the response model. This pure ASGI middleware sits inside the token
check (``scope["principal"]`` is the verified caller), the input guard and the request metrics (it sets the route,
so the calls are counted under ``/coverage``), and answers with:

1. 403 unless the token has ``insurance:coverage`` (or ``insurance:read``, or ``admin``);
2. 422 for a bad ``national_id`` (12 digits), ``on`` (a date) or an ``X-Purpose`` over 500 characters — validated by
   pydantic as FastAPI would, with the same messages — then 422 when ``X-Purpose`` is missing or blank;
3. 429 with ``Retry-After`` past the client's rate;
4. the answer, after the lookup and its audit row have committed (one statement, :mod:`.repository`).

Problems are rendered by :func:`common.errors.send_problem`, as the app's error handlers render them. Any other
method on the path goes on to the router (405 with ``Allow``)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import parse_qsl

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.asgi import ASGIApp, Receive, Scope, Send, get_header, send_bytes
from common.auth import PURPOSE_HEADER, Principal, stated_purpose
from common.errors import (
    AnSinhError,
    DatabaseUnavailable,
    Forbidden,
    Unauthorized,
    ValidationFailed,
    database_unavailable,
    send_problem,
)

from .router import PURPOSE_REQUIRED, answer, rate_limited

log = structlog.get_logger("coverage")

PATH = "/coverage"
SCOPE = "insurance:coverage"
_JSON = b"application/json"
_PURPOSE = PURPOSE_HEADER.lower().encode()


class _Params(BaseModel):
    """The route's parameters with the route's constraints (see :func:`.router.coverage`)."""

    model_config = ConfigDict(extra="ignore")
    national_id: Annotated[str, Field(pattern=r"^\d{12}$")]
    on: date | None = None
    purpose: Annotated[str | None, Field(max_length=500)] = None


_ROUTE = SimpleNamespace(path=PATH, path_format=PATH)
# The header as FastAPI names it in its own errors (by the alias).
_FIELDS = {"national_id": "query.national_id", "on": "query.on", "purpose": "header.X-Purpose"}


def _params(scope: Scope) -> tuple[str, date | None, str | None]:
    """The query's and header's values (national ID, day, purpose), validated; 422 as FastAPI's validation would
    answer it."""
    raw = _query(scope.get("query_string", b""))
    raw.pop("purpose", None)
    header = get_header(scope, _PURPOSE)
    if header is not None:
        raw["purpose"] = header.decode("latin-1")
    quick = _well_formed(raw)
    if quick is not None:
        return quick
    try:
        params = _Params.model_validate(raw)
    except ValidationError as exc:
        errors = [
            {"field": _FIELDS.get(str(e["loc"][0]), str(e["loc"][0])), "reason": e["msg"], "kind": e["type"]}
            for e in exc.errors()
        ]
        raise ValidationFailed(errors) from None
    return params.national_id, params.on, params.purpose


def _query(query: bytes) -> dict[str, str]:
    """The query's names and values as Starlette reads them: latin-1, blank values kept, the last of repeated names
    wins. Without percent-escapes or ``+`` (the usual ``national_id=…&on=…``) a plain split gives what ``parse_qsl``
    gives, at a fraction of its cost."""
    text = query.decode("latin-1")
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    out: dict[str, str] = {}
    for part in text.split("&"):
        if part:
            name, _, value = part.partition("=")
            out[name] = value
    return out


def _well_formed(raw: dict[str, str]) -> tuple[str, date | None, str | None] | None:
    """The parameters without pydantic when they are plainly valid (12 ASCII digits, a ``YYYY-MM-DD`` date, a short
    purpose), the usual case; None sends anything else through the model, for its answer and its messages."""
    nid, on, purpose = raw.get("national_id"), raw.get("on"), raw.get("purpose")
    if not (nid is not None and len(nid) == 12 and nid.isascii() and nid.isdigit()):
        return None
    if purpose is not None and len(purpose) > 500:
        return None
    day = None
    if on is not None:
        # Only YYYY-MM-DD: date.fromisoformat also reads forms that pydantic refuses (2026-W24-1, a week date).
        if not (len(on) == 10 and on[4] == "-" == on[7] and on.isascii() and on.replace("-", "").isdigit()):
            return None
        try:
            day = date.fromisoformat(on)
        except ValueError:
            return None
    return nid, day, purpose


class CoverageFastPath:
    """See the module's docstring. Installed by :func:`services.insurance.app.create_app` unless
    ``INSURANCE_COVERAGE_FAST_PATH=false``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        fastapi_app = scope["app"]
        scope["route"] = _ROUTE  # the metrics' handler label, as if the router had matched the documented route
        try:
            body = await self._check(scope, fastapi_app.state)
        except AnSinhError as exc:
            await send_problem(scope, send, exc)
            return
        except Exception as exc:
            if not database_unavailable(exc):
                raise  # a bug: the app's generic 500, the traceback in the log
            # As the app's handler answers it for a route: 503 with Retry-After (the pool reconnects next time).
            log.warning("database_unavailable", path=PATH, error_type=type(exc).__name__, error=str(exc)[:200])
            await send_problem(scope, send, DatabaseUnavailable())
            return
        await send_bytes(send, 200, body, _JSON)

    @staticmethod
    async def _check(scope: Scope, state: Any) -> bytes:
        principal: Principal | None = scope.get("principal")
        if principal is None:
            raise Unauthorized("send an access token: Authorization: Bearer <token>")
        if not principal.has(SCOPE):
            raise Forbidden(f"this route needs the scope(s) {SCOPE}", required_scopes=[SCOPE])
        national_id, on, stated = _params(scope)
        purpose = stated_purpose(stated, PURPOSE_REQUIRED)
        refused = await rate_limited(state, principal)
        if refused is not None:
            raise refused
        return await answer(state, principal, national_id, on, purpose)
