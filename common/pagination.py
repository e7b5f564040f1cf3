"""Opaque cursors for keyset pagination (``limit`` ≤ 100, ``cursor``, ``next_cursor``; docs/architecture.md)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from .errors import ValidationFailed


def encode_cursor(values: list[Any]) -> str:
    """The keyset position after the last row of a page, as an opaque URL-safe string."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """The values :func:`encode_cursor` packed; 422 naming ``query.cursor`` for anything else."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or not values:
            raise ValueError
        return values
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _not_ours() from None


def _not_ours() -> ValidationFailed:
    return ValidationFailed([{"field": "query.cursor", "reason": "not a cursor returned by this API"}])


def _as_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError
    return value


KEYSET_INT: Callable[[Any], Any] = _as_int
"""For :func:`keyset`: the value must already be a JSON integer (an id)."""


def keyset(cursor: str | None, *kinds: Callable[[Any], Any]) -> tuple[Any, ...] | None:
    """The keyset position packed by :func:`encode_cursor`, each value converted by ``kinds`` — e.g.
    ``keyset(cursor, str, uuid.UUID)``, ``keyset(cursor, date.fromisoformat, uuid.UUID)``,
    ``keyset(cursor, KEYSET_INT)``; None without a cursor; 422 naming ``query.cursor`` for anything else."""
    if not cursor:
        return None
    values = decode_cursor(cursor)
    if len(values) != len(kinds):
        raise _not_ours()
    try:
        return tuple(kind(value) if kind is KEYSET_INT else kind(str(value))
                     for kind, value in zip(kinds, values, strict=True))
    except (TypeError, ValueError):
        raise _not_ours() from None
