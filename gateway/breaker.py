"""A circuit breaker per upstream, so a dead service fails fast instead of tying up connections.

closed → (``threshold`` consecutive connection failures) → open: requests fail at once with 502 for
``cooldown`` seconds → half-open: one request is let through; success closes, failure opens again.
"""

from __future__ import annotations

import time


class CircuitBreaker:
    def __init__(self, threshold: int = 5, cooldown: float = 5.0) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.failures = 0
        self.opened_at: float | None = None
        self.trial_in_flight = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if time.monotonic() - self.opened_at >= self.cooldown else "open"

    def allow(self) -> float | None:
        """None if a request may go; else seconds until the next trial."""
        if self.opened_at is None:
            return None
        waited = time.monotonic() - self.opened_at
        if waited < self.cooldown:
            return self.cooldown - waited
        if self.trial_in_flight:
            return 1.0
        self.trial_in_flight = True
        return None

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.trial_in_flight = False

    def failure(self) -> None:
        self.failures += 1
        self.trial_in_flight = False
        if self.failures >= self.threshold or self.opened_at is not None:
            self.opened_at = time.monotonic()
