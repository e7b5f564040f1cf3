"""Error codes of the cases feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class TransitionRefused(Conflict):
    """The step is not allowed from the case's status (``allowed``, ``current_status``)."""

    code = "invalid-transition"


class CaseClosed(Conflict):
    """A separation on a closed case."""

    code = "case-closed"


class NoSeparation(Conflict):
    """Ending a separation that is not in progress."""

    code = "no-separation"


class ChildNotIdentified(Conflict):
    """A referral for a child not yet linked to a registry person."""

    code = "child-not-identified"
