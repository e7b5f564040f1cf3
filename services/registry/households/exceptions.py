"""Error codes of the households feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class AlreadyInHousehold(Conflict):
    """The person is already a member of a household (``household``)."""

    code = "already-in-household"


class DuplicateHouseholdCode(Conflict):
    """A household with this code exists."""

    code = "duplicate-household-code"
