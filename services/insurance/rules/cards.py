"""How a card's validity moves when entitlement changes: a card is never shortened below what was paid for
unless a reason is recorded (a death, a termination, a BHXH correction)."""

from __future__ import annotations

from datetime import date


class ShorteningRefused(ValueError):
    """Ending a card before the end of what was already paid for needs a recorded reason."""


def new_valid_to(valid_to: date | None, paid_through: date | None, ends_on: date | None, reason: str) -> date | None:
    """The card's last day once entitlement ends on ``ends_on`` (last day, inclusive; None: not ending).

    A card ends no later than it already does. Ending it before ``paid_through`` (the last day covered by money
    already paid) needs a ``reason``; without one it is kept to ``paid_through``."""
    if ends_on is None:
        return valid_to
    target = ends_on if valid_to is None else min(valid_to, ends_on)
    if paid_through is not None and target < paid_through and not reason.strip():
        return paid_through if valid_to is None else min(valid_to, paid_through)
    return target
