"""Errors of the exchange with BHXH (RFC 9457 problem types)."""

from common.errors import Conflict, NotFound, ServiceUnavailable


class ListNotFound(NotFound):
    pass


class ListExists(Conflict):
    code = "list-exists"


class ExceptionResolved(Conflict):
    """The exception is already resolved: the first resolution stands (who resolved it and how)."""

    code = "exception-resolved"


class IdentitiesUnavailable(ServiceUnavailable):
    code = "registry-unavailable"
    title = "The registry could not be reached for the identity fields"
