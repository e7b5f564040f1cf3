"""Error codes of the placements feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class PlacementActive(Conflict):
    """The child is in another placement (``existing``)."""

    code = "placement-active"


class PlacementAlreadyEnded(Conflict):
    """The placement has ended."""

    code = "placement-ended"
