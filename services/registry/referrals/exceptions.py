"""Error codes of application drafts (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class DraftDecided(Conflict):
    """The draft was already submitted (``application``) or dismissed."""

    code = "draft-decided"
