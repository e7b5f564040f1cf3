"""Error codes of the study feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class StudyOverlap(Conflict):
    """The person already studies over these months (``existing``)."""

    code = "study-overlap"


class StudyWithdrawn(Conflict):
    """The study period was withdrawn."""

    code = "study-withdrawn"
