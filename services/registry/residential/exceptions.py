"""Error codes of the residential feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class AlreadyResident(Conflict):
    """The person is already resident in a facility (``residency``, ``facility``)."""

    code = "already-resident"


class AlreadyDischarged(Conflict):
    """The residency has already ended (``discharged_on``)."""

    code = "already-discharged"
