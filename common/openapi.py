"""What every service's API document says that FastAPI would not: problem errors, statuses, readable ids.

FastAPI documents errors as its own ``{"detail": [...]}`` body and names operations after the function,
path and method (``download_batch_batches__batch_id__download_get``). Our errors are RFC 9457
``application/problem+json`` (``common/errors.py``), so :func:`document` rewrites each service's document:

- every 4xx/5xx response carries the :data:`PROBLEM_SCHEMA` as ``application/problem+json``;
- each operation lists the statuses it can answer from its shape: ``401``/``403`` unless its path is
  public, ``404`` when it has path parameters, ``404``/``409`` when it changes state, ``400`` when it
  takes a body, ``503`` unless public (the database), ``422`` always (a query string may be refused),
  ``428``/``412`` when it takes ``If-Match``;
  statuses a route declares itself (``responses={409: …}``) are kept with their descriptions;
- :func:`operation_id` gives ``<service>.<resource>.<action>`` ids (``payments.batches.download``).

The gateway adds what it answers itself (``413``, ``429``, ``502``, ``504``) when it merges the documents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from .auth import ANY_OF, oauth2_scheme

PROBLEM = "Problem"
PROBLEM_FIELD = "ProblemField"
PROBLEM_REF = {"$ref": f"#/components/schemas/{PROBLEM}"}
PROBLEM_CONTENT_TYPE = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": PROBLEM,
    "type": "object",
    "description": "An RFC 9457 problem document. Switch on `type`, never on `title` or `detail` text. "
    "Some problems add members of their own (for example `existing` on a duplicate).",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {
            "type": "string",
            "description": "A stable URI per kind of error, e.g. `https://ansinh.gov.vn/problems/not-found`",
        },
        "title": {"type": "string", "description": "Short summary of the kind of error"},
        "status": {"type": "integer", "description": "The HTTP status code"},
        "detail": {"type": "string", "description": "What went wrong with this request"},
        "instance": {"type": "string", "description": "The request path"},
        "request_id": {"type": "string", "description": "Quote it when asking for help"},
        "errors": {
            "type": "array",
            "items": {"$ref": f"#/components/schemas/{PROBLEM_FIELD}"},
            "description": "On `validation-failed`: one entry per invalid field",
        },
        "required_scopes": {
            "type": "array",
            "items": {"type": "string"},
            "description": "On `forbidden` for a missing scope: the scopes the token lacks (on a route that takes "
            "any one of several, each of them)",
        },
    },
    "additionalProperties": True,
}
PROBLEM_FIELD_SCHEMA: dict[str, Any] = {
    "title": PROBLEM_FIELD,
    "type": "object",
    "description": "One problem found in the request. Business checks add members of their own (`code`, `related`).",
    "required": ["reason"],
    "properties": {
        "field": {"type": "string", "description": "Where: `body.national_id`, `query.month`, `path.person_id`"},
        "reason": {"type": "string", "description": "Why it is not valid"},
        "kind": {"type": ["string", "null"], "description": "A machine-readable reason, when there is one"},
        "line": {"type": ["integer", "null"], "description": "In an uploaded file: the line"},
        "column": {"type": ["string", "null"], "description": "In an uploaded file: the column"},
    },
}

STATUS_DESCRIPTIONS: dict[int, str] = {
    400: "Bad request: the request cannot be read (problem `bad-request`)",
    401: "No valid access token (problem `unauthorized`; `WWW-Authenticate` says why)",
    403: "The token lacks a scope or the record is outside its areas (problem `forbidden`)",
    404: "Not found, or outside the token's areas: the record of the path, or one the request names "
    "(problem `not-found`)",
    409: "Conflict with the current state: a duplicate, a record in the wrong state, or the same "
    "`Idempotency-Key` still in progress (problem `conflict` or a more specific `type`)",
    412: "`If-Match` does not match the current ETag (problem `precondition-failed`)",
    413: "The request body is larger than the gateway accepts (problem `payload-too-large`)",
    415: "The body's `Content-Type` is not one the operation takes (problem `unsupported-media-type`)",
    422: "The request is not valid; `errors` lists each field (problem `validation-failed`)",
    428: "`If-Match` is missing (problem `precondition-required`)",
    429: "Rate limit exceeded; retry after `Retry-After` seconds (problem `rate-limited`)",
    502: "The service behind the gateway cannot be reached (problem `bad-gateway`)",
    503: "A dependency is unavailable (problem `service-unavailable`)",
    504: "The service behind the gateway did not answer in time (problem `gateway-timeout`)",
}
_STATUS_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {"description": '`Bearer realm="ansinh"`, with the reason', "schema": {"type": "string"}}
    },
    429: {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}},
}
_FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")


def problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    """An OpenAPI response object for an error ``status``: the problem schema, its headers."""
    out: dict[str, Any] = {
        "description": description or STATUS_DESCRIPTIONS.get(status, "Error"),
        "content": {PROBLEM_CONTENT_TYPE: {"schema": dict(PROBLEM_REF)}},
    }
    if status in _STATUS_HEADERS:
        out["headers"] = dict(_STATUS_HEADERS[status])
    return out


def add_problem_responses(operation: dict[str, Any], statuses: Iterable[int]) -> None:
    """Declare ``statuses`` on ``operation`` (keeping descriptions it has) and give every error the problem schema."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in statuses:
        responses.setdefault(str(status), {})
    for key, response in responses.items():
        if key.isdigit() and int(key) >= 400:
            described = response.get("description")
            if not described or described in ("Validation Error", "Successful Response"):
                described = None
            responses[key] = problem_response(int(key), described) | {
                k: v for k, v in response.items() if k not in ("description", "content", "headers")
            }
    operation["responses"] = dict(sorted(responses.items()))


# ---------------------------------------------------------------------------------------------- operation ids


def _snake(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


def _singular(word: str) -> str:
    for plural, single in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("sses", "ss"), ("xes", "x")):
        if word.endswith(plural):
            return word[: -len(plural)] + single
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def operation_id(service: str, path: str, name: str) -> str:
    """``("payments", "/batches/{batch_id}/download", "download_batch")`` → ``payments.batches.download``.

    The resource is the path's first segment; the action is the function's name without the resource's
    word (singular or plural). A function named after its resource alone (``/health``) gives ``service.resource``.
    """
    segments = [s for s in path.split("/") if s and not s.startswith("{")]
    resource = _snake(segments[0]) if segments else "root"
    action = f"_{_snake(name)}_"
    for form in sorted({resource, _singular(resource)}, key=len, reverse=True):
        action = action.replace(f"_{form}_", "_")
    action = action.strip("_")
    return f"{service}.{resource}.{action}" if action else f"{service}.{resource}"


def operation_id_function(service: str) -> Callable[[APIRoute], str]:
    """For ``FastAPI(generate_unique_id_function=…)``."""

    def generate(route: APIRoute) -> str:
        return operation_id(service, route.path_format, route.name)

    return generate


# ---------------------------------------------------------------------------------------------- the document

_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


_WRITES = frozenset({"post", "put", "patch", "delete"})


def _statuses(path: str, method: str, operation: dict[str, Any], public_paths: frozenset[str]) -> set[int]:
    statuses: set[int] = {422}  # any query string may be refused (NUL, lone surrogates, huge integers)
    if path not in public_paths:
        statuses |= {401, 403, 503}  # 503: the database cannot be reached
        if method in _WRITES:  # a record the body names may not exist; the state may forbid the change
            statuses |= {404, 409}
    if "requestBody" in operation:
        statuses.add(400)  # a body that is not text in the declared encoding
        if set(operation["requestBody"].get("content", {})) - {"application/json"}:
            statuses.add(415)  # file uploads name the media types they take
    params = operation.get("parameters", [])
    if any(p.get("in") == "path" for p in params):
        statuses.add(404)
    if any(p.get("in") == "header" and p.get("name", "").lower() == "if-match" for p in params):
        statuses |= {412, 428}
    return statuses


def _any_of(dependant: Dependant) -> tuple[str, ...] | None:
    """The scopes of a :func:`common.auth.require_any` check among the route's dependencies, if it has one."""
    found: tuple[str, ...] | None = getattr(dependant.call, ANY_OF, None)
    for sub in dependant.dependencies:
        found = found or _any_of(sub)
    return found


def _alternative_security(app: FastAPI, paths: dict[str, Any]) -> None:
    """A route that takes any one of several scopes (:func:`common.auth.require_any`) lists each as its own
    ``security`` requirement: OpenAPI reads the list as alternatives (FastAPI would merge them into one requirement,
    all of them needed), and so does the gateway."""
    from fastapi import routing

    contexts = (
        routing.iter_route_contexts(app.routes) if hasattr(routing, "iter_route_contexts") else app.routes
    )  # FastAPI before lazily included routers lists them flat
    for route in contexts:
        dependant, path = getattr(route, "dependant", None), getattr(route, "path_format", None)
        scopes = _any_of(dependant) if isinstance(dependant, Dependant) else None
        if scopes is None or not path:
            continue
        for method in getattr(route, "methods", None) or ():
            operation = paths.get(path, {}).get(method.lower())
            if operation is not None:
                operation["security"] = [{oauth2_scheme.scheme_name: [scope]} for scope in scopes]


def document(app: FastAPI, public_paths: frozenset[str]) -> dict[str, Any]:
    """The app's OpenAPI document with problem errors and the statuses each operation can answer."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        openapi_version=app.openapi_version,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    paths = doc.get("paths", {})
    _alternative_security(app, paths)
    for path, item in paths.items():
        for method, operation in item.items():
            if method in _METHODS:
                add_problem_responses(operation, _statuses(path, method, operation, public_paths))
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    kept = {k: v for k, v in schemas.items() if k not in _FASTAPI_ERROR_SCHEMAS}
    text = json.dumps([paths, kept])
    for name in _FASTAPI_ERROR_SCHEMAS:
        if f'"#/components/schemas/{name}"' not in text:
            schemas.pop(name, None)
    schemas[PROBLEM] = PROBLEM_SCHEMA
    schemas[PROBLEM_FIELD] = PROBLEM_FIELD_SCHEMA
    doc["components"]["schemas"] = dict(sorted(schemas.items()))
    return doc


def install(app: FastAPI, public_paths: frozenset[str]) -> None:
    """Serve :func:`document` as the app's ``/openapi.json`` (built once, on first use)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, public_paths)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
