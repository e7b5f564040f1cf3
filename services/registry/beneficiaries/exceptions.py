"""Error codes of the beneficiaries feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class PersonDeceased(Conflict):
    """The person has died (``death_date``)."""

    code = "person-deceased"


class AlreadyBeneficiary(Conflict):
    """The person is already a beneficiary (``existing``)."""

    code = "duplicate-beneficiary"
