"""Error codes of the children feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class ChildExists(Conflict):
    """The registry person already has a child record (``existing``)."""

    code = "child-exists"


class MembershipOverlaps(Conflict):
    """The child is already in the group over these dates (``membership_id``)."""

    code = "membership-overlaps"


class MembershipEnded(Conflict):
    """The membership has already ended."""

    code = "membership-ended"
