"""Error codes of the longevity feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class GiftExists(Conflict):
    """The person already has a longevity gift for the year (``existing``)."""

    code = "gift-exists"
