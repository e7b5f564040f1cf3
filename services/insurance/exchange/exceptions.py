"""Errors of the exchange with BHXH (RFC 9457 problem types)."""

from common.errors import Conflict, NotFound, ServiceUnavailable


class ListNotFound(NotFound):
    pass


class ListExists(Conflict):
    code = "list-exists"


class IdentitiesUnavailable(ServiceUnavailable):
    code = "registry-unavailable"
    title = "The registry could not be reached for the identity fields"
