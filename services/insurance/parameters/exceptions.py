"""Errors of the parameters feature (RFC 9457 problem types)."""

from common.errors import Conflict, MakerChecker, NotFound, ValidationFailed


class UnknownParameter(ValidationFailed):
    def __init__(self, name: str, allowed: list[str]) -> None:
        super().__init__([{"field": "body.name", "reason": f"one of {', '.join(allowed)} (got {name!r})"}])


class ProposalNotFound(NotFound):
    pass


class ProposalDecided(Conflict):
    code = "proposal-decided"


class ValueExists(Conflict):
    code = "parameter-exists"


class SameClient(MakerChecker):
    title = "The proposer cannot decide their own proposal"
