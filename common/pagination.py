"""Opaque cursors for keyset pagination (``limit`` ≤ 100, ``cursor``, ``next_cursor``; docs/architecture.md)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from .errors import ValidationFailed
from .types import MAX_YEAR, MIN_YEAR, int64_problem, text_problem

Row = TypeVar("Row")


def encode_cursor(values: list[Any]) -> str:
    """The keyset position after the last row of a page, as an opaque URL-safe string."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, field: str = "query.cursor") -> list[Any]:
    """The values :func:`encode_cursor` packed; 422 naming ``field`` for anything else."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or not values:
            raise ValueError
        return values
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _not_ours(field) from None


def _not_ours(field: str = "query.cursor") -> ValidationFailed:
    return ValidationFailed([{"field": field, "reason": "not a cursor returned by this API"}])


def _as_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or int64_problem(value):
        raise ValueError
    return value


def _storable(value: Any) -> Any:
    """``value`` if the database can take it as a query parameter: a cursor is sent back by the client, so a value
    packed into it may have been changed (an integer beyond 64 bits, a NUL in a text, a date in year 1 that a time
    zone moves out of the calendar); ValueError otherwise, answered as a cursor that is not ours."""
    if isinstance(value, str) and text_problem(value):
        raise ValueError
    if isinstance(value, date) and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError
    return value


KEYSET_INT: Callable[[Any], Any] = _as_int
"""For :func:`keyset`: the value must already be a JSON integer (an id)."""


def keyset(cursor: str | None, *kinds: Callable[[Any], Any], field: str = "query.cursor") -> tuple[Any, ...] | None:
    """The keyset position packed by :func:`encode_cursor`, each value converted by ``kinds`` — e.g.
    ``keyset(cursor, str, uuid.UUID)``, ``keyset(cursor, date.fromisoformat, uuid.UUID)``,
    ``keyset(cursor, KEYSET_INT)``; None without a cursor; 422 naming ``field`` (the query parameter that carried the
    cursor) for anything else, also for
    values the database could not take (an integer beyond 64 bits, a NUL in a text, a date outside the years
    ``MIN_YEAR..MAX_YEAR``): a tampered cursor is never a 500."""
    if not cursor:
        return None
    values = decode_cursor(cursor, field)
    if len(values) != len(kinds):
        raise _not_ours(field)
    try:
        return tuple(
            kind(value) if kind is KEYSET_INT else _storable(kind(str(value)))
            for kind, value in zip(kinds, values, strict=True)
        )
    except (TypeError, ValueError, OverflowError):
        raise _not_ours(field) from None


def page_of(rows: Sequence[Row], limit: int, key: Callable[[Row], list[Any]]) -> tuple[list[Row], str | None]:
    """Rows fetched with ``limit + 1`` (one to look ahead): the page (at most ``limit`` rows) and ``next_cursor``,
    ``key`` of its last row packed by :func:`encode_cursor`, or None when no row follows."""
    if len(rows) > limit:
        return list(rows[:limit]), encode_cursor(key(rows[limit - 1]))
    return list(rows), None


def cursor_if_full(rows: Sequence[Row], limit: int, key: Callable[[Row], list[Any]]) -> str | None:
    """Rows fetched with ``limit`` (no look-ahead): ``next_cursor`` after the last row when the page is full (the
    next page may then be empty), else None. Prefer :func:`page_of` in new code."""
    return encode_cursor(key(rows[-1])) if rows and len(rows) >= limit else None
