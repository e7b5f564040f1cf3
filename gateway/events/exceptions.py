"""Error codes of the event hub (RFC 9457 problem types)."""

from __future__ import annotations

from common.errors import Conflict


class InternalSubscription(Conflict):
    """A service's own inbox subscription: configuration, not partner data. Deleting it would lose events."""

    code, title = "internal-subscription", "Internal subscription"
