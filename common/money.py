"""Money in requests: whole VND as JSON integers, always below 2^53.

JavaScript reads every JSON number as an IEEE-754 double, exact only up to 2^53 − 1
(``Number.MAX_SAFE_INTEGER``): 9,007,199,254,740,993 would arrive as …992. So no amount that enters the platform may
reach 2^53; business limits (a programme's ``max_amount``) are far lower and are checked by the service that owns
them. Use these types for every amount field of a request body (``strict``: ``"100"`` and ``1.5`` are refused).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_SAFE_VND = 2**53 - 1
"""The largest amount any request may carry (JavaScript's ``Number.MAX_SAFE_INTEGER``)."""

__all__ = ["MAX_SAFE_VND", "PositiveVnd", "Vnd"]

Vnd = Annotated[int, Field(strict=True, ge=0, le=MAX_SAFE_VND)]
"""Whole VND from 0 to 2^53 − 1, a JSON integer."""

PositiveVnd = Annotated[int, Field(strict=True, gt=0, le=MAX_SAFE_VND)]
"""Whole VND from 1 to 2^53 − 1, a JSON integer."""
