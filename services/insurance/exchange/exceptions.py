"""Errors of the exchange with BHXH (RFC 9457 problem types)."""

from common.errors import Conflict, NotFound


class ListNotFound(NotFound):
    pass


class ListExists(Conflict):
    code = "list-exists"


class IdentitiesUnavailable(Conflict):
    status = 503
    code = "registry-unavailable"
    title = "The registry could not be reached for the identity fields"
