"""Error codes of the programmes feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class ParameterExists(Conflict):
    """The parameter is already recorded from that month."""

    code = "parameter-exists"


class AccountingFromLocked(Conflict):
    """The programme has payrolls: its accounting month is fixed (``accounting_from``)."""

    code = "accounting-from-locked"
