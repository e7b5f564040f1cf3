"""Error codes of the deaths feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class DeathAlreadyRecorded(Conflict):
    """The person's death is already recorded (``death_date``)."""

    code = "death-already-recorded"
