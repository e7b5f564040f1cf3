"""The one business clock: today's date and the current time in Viet Nam (Asia/Ho_Chi_Minh).

Business dates (a payment's ``paid_on`` in the future, the day a job runs, a card's validity, a case's
deadline) are Viet Nam dates, whatever zone the server runs in (UTC in the containers). Every service
reads them from here, never from ``date.today()`` or a naive ``datetime.now()``; a test in
``tests/test_architecture.py`` fails when those appear in service code.

Tests set the clock with :func:`frozen`::

    with clock.frozen(date(2026, 7, 31)):
        ...  # clock.today() is 2026-07-31, clock.now() is its midnight in Viet Nam

The override lives in a context variable, so an asyncio task started inside the block sees it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta, timezone

VIETNAM_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
"""Viet Nam has kept UTC+7 without daylight saving since 1975: a fixed offset needs no tz database."""

_frozen: ContextVar[datetime | None] = ContextVar("ansinh_clock_frozen", default=None)

__all__ = ["VIETNAM_TZ", "now", "today", "frozen", "to_vietnam_date"]


def now() -> datetime:
    """The current instant, aware, in Viet Nam time."""
    fixed = _frozen.get()
    return fixed if fixed is not None else datetime.now(UTC).astimezone(VIETNAM_TZ)


def today() -> date:
    """Today's date in Viet Nam."""
    return now().date()


def to_vietnam_date(instant: datetime) -> date:
    """The Viet Nam date of an aware instant (a naive one is taken as UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(VIETNAM_TZ).date()


@contextmanager
def frozen(at: date | datetime) -> Iterator[None]:
    """Within the block, :func:`now` and :func:`today` answer ``at`` (a date means its midnight in Viet Nam)."""
    instant = at if isinstance(at, datetime) else datetime.combine(at, time(0), tzinfo=VIETNAM_TZ)
    if instant.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime or a date")
    token = _frozen.set(instant.astimezone(VIETNAM_TZ))
    try:
        yield
    finally:
        _frozen.reset(token)
