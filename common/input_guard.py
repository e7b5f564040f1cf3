"""One guard in front of every route: input the database or the code cannot take is a 422, never a 500.

Pure ASGI, installed by :func:`common.app.create_service_app` in every service and the gateway (inside the token
check, so anonymous requests are never parsed). It refuses, naming the field as FastAPI's own validation would
(``body.full_name``, ``body.results.3.amount``, ``query.q``):

- a NUL character or a lone UTF-16 surrogate (``"\\ud800"``) in any JSON string (values and keys), form field,
  query parameter or in the path: PostgreSQL cannot store either;
- a JSON integer, or a query parameter written as an integer, outside 64 bits: no column takes it.

The check is cheap where it matters: the body is scanned as bytes, and parsed only when a suspicious byte pattern
(``\\u0000``, a raw NUL, ``\\ud8..``–``\\udf..`` or 19+ digits in a row) is found in it. The body is then handed on
to the route unchanged. :mod:`common.types` holds the same rules as pydantic types.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from .asgi import ASGIApp, Message, Receive, Scope, Send, get_header, send_bytes
from .errors import PROBLEM_CONTENT_TYPE, problem_bytes
from .types import int64_problem, text_problem

_SUSPICIOUS_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_DIGITS_AS_ZERO = bytes(ord("0") if chr(b).isdigit() and b < 128 else ord("x") for b in range(256))
_NINETEEN_DIGITS = b"0" * 19
_SUSPICIOUS_QUERY = re.compile(rb"%00|\d{19,}")
_INTEGER = re.compile(r"^[+-]?\d+$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_ERRORS = 50


def _walk(value: Any, path: str, errors: list[dict[str, str]]) -> None:
    if len(errors) >= MAX_ERRORS:
        return
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            errors.append({"field": path, "reason": problem})
    elif isinstance(value, bool) or isinstance(value, float) or value is None:
        return
    elif isinstance(value, int):
        problem = int64_problem(value)
        if problem:
            errors.append({"field": path, "reason": problem})
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key)
            if problem:
                errors.append({"field": f"{path}.{key!r}", "reason": "a member name " + problem})
                continue
            _walk(item, f"{path}.{key}", errors)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, f"{path}.{i}", errors)


def _suspicious_body(body: bytes) -> bool:
    """``\\u0000``, a raw NUL, ``\\ud8..``–``\\udf..`` or 19+ ASCII digits in a row. Byte searches, not one regex
    with these four alternatives: on a hub batch of 1,000 events (~0.5 MB, full of digits) the regex took ~16 ms of
    the gateway's CPU, these ~1.5 ms (the digits: every digit turned into ``0`` and everything else into ``x`` by
    ``bytes.translate``, then one ``find`` of 19 zeros)."""
    return (
        b"\x00" in body
        or (b"\\u" in body and _SUSPICIOUS_ESCAPE.search(body) is not None)
        or _NINETEEN_DIGITS in body.translate(_DIGITS_AS_ZERO)
    )


def json_problems(body: bytes) -> list[dict[str, str]]:
    """The fields of a JSON body that no route can take (empty when there are none, or the body is not JSON: the
    route's own validation says so)."""
    if not _suspicious_body(body):
        return []
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON (or not UTF-8): FastAPI answers it as usual
        return []
    errors: list[dict[str, str]] = []
    _walk(document, "body", errors)
    return errors


def pairs_problems(pairs: list[tuple[str, str]], where: str) -> list[dict[str, str]]:
    """Query parameters or form fields: text the database cannot store, integers beyond 64 bits."""
    errors = []
    for name, value in pairs:
        problem = text_problem(name) or text_problem(value)
        if problem is None and _INTEGER.match(value):
            problem = int64_problem(int(value))
        if problem:
            errors.append({"field": f"{where}.{name}", "reason": problem})
    return errors[:MAX_ERRORS]


def _media_type(scope: Scope) -> str:
    raw = get_header(scope, b"content-type") or b""
    return raw.split(b";", 1)[0].strip().lower().decode("latin-1")


class InputGuard:
    """See the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors: list[dict[str, str]] = []
        if "\x00" in scope.get("path", ""):
            errors.append({"field": "path", "reason": "must not contain a NUL character (%00)"})
        query: bytes = scope.get("query_string", b"")
        if query and _SUSPICIOUS_QUERY.search(query):
            errors += pairs_problems(
                parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"), "query"
            )
        media = _media_type(scope)
        is_json = media == "application/json" or media.endswith("+json")
        is_form = media == "application/x-www-form-urlencoded"
        if errors or scope.get("method") not in _BODY_METHODS or not (is_json or is_form):
            if errors:
                await self._refuse(scope, send, errors)
                return
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        if is_json:
            errors = json_problems(body)
        elif _SUSPICIOUS_QUERY.search(body):
            errors = pairs_problems(
                parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"), "body"
            )
        if errors:
            await self._refuse(scope, send, errors)
            return
        await self.app(scope, _replay(body, more, receive), send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, errors: list[dict[str, str]]) -> None:
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        body = problem_bytes(
            422,
            "validation-failed",
            "The request is not valid",
            detail,
            instance=scope.get("path"),
            errors=errors,
            request_id=scope.get("request_id"),
        )
        await send_bytes(send, 422, body, PROBLEM_CONTENT_TYPE.encode())


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    """The whole request body, and any other message received while reading it (a disconnect)."""
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts), [message]
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts), []


def _replay(body: bytes, pending: list[Message], receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if pending:  # the client went away before the end of the body: say so, not "here is all of it"
            return pending.pop(0)
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
