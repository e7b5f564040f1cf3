"""Error codes of the persons feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class DuplicateNationalId(Conflict):
    """The national ID is already registered (``existing``)."""

    code = "duplicate-national-id"


class PersonMerged(Conflict):
    """The record was merged into another (``merged_into``)."""

    code = "person-merged"
