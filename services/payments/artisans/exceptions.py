"""Error codes of the artisans feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class EnrolmentOverlaps(Conflict):
    """The person has an enrolment in force (``existing``)."""

    code = "enrolment-overlaps"


class EnrolmentEnded(Conflict):
    """An end only brings the enrolment forward (``to_month``)."""

    code = "enrolment-ended"
