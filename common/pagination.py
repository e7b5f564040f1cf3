"""Opaque cursors for keyset pagination (``limit`` ≤ 100, ``cursor``, ``next_cursor``; DESIGN.md)."""

from __future__ import annotations

import base64
import binascii
import json
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
        raise ValidationFailed([{"field": "query.cursor", "reason": "not a cursor returned by this API"}]) from None
