"""Error codes of the emergency feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class ReliefApproved(Conflict):
    """The emergency relief is already approved."""

    code = "relief-approved"
