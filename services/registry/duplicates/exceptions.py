"""Error codes of the duplicates feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class PairResolved(Conflict):
    """The pair is already merged or dismissed (``pair_status``)."""

    code = "possible-duplicate-resolved"


class MergeConflict(Conflict):
    """The records cannot be merged as they are (``problems``)."""

    code = "merge-conflict"
