"""Error codes of the payrolls feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict


class PayrollExists(Conflict):
    """The programme's payroll for the period exists (``existing``)."""

    code = "payroll-exists"


class AmountOverLimit(Conflict):
    """Service months above the programme's ``max_amount`` (``over_limit``)."""

    code = "amount-over-limit"


class PayrollPending(Conflict):
    """An earlier payroll of the programme is not approved yet (``existing``)."""

    code = "payroll-pending"


class PayrollOrder(Conflict):
    """A later period is already approved (``existing``)."""

    code = "payroll-order"


class PayrollImmutable(Conflict):
    """An approved or locked payroll cannot change (``state``)."""

    code = "payroll-immutable"


class PayrollState(Conflict):
    """The step does not follow the payroll's state (``state``)."""

    code = "payroll-state"


class PayrollStale(Conflict):
    """Results arrived since generation: regenerate (``unpaid_results``)."""

    code = "payroll-stale"
