"""Who may see what in child protection, and the audit of every read (Law on Children: case data is the most
sensitive data of the platform).

* ``child_protection:case`` — case workers: read and write within their token's areas;
* ``child_protection:read`` — supervisors: read within their areas, and query the audit trail;
* ``reports:read`` (the gateway's year-end report) and ``admin`` see counts only (the reports). The ``admin``
  scope opens every other route of the platform but not these: this module checks the scopes a token *names*,
  never :meth:`Principal.has`, and reads the areas from the token (``admin`` does not widen them);
* everyone else (a hospital's coverage client, the post office …) sees no record and no count, only the reference
  data (groups, holidays): a count of 1 in a commune can name a child to anyone who knows the place.

Every route that returns a child, case, placement or attachment needs an ``X-Purpose`` header (why the record
is read) and records who, when, what and why in ``read_audit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from common.auth import Principal, purpose_header, require, require_any, stated_purpose
from common.errors import Forbidden
from common.territory import territory

CASE = "child_protection:case"
READ = "child_protection:read"
ROLE_SCOPES = (CASE, READ)
COUNT_SCOPES = ("reports:read", READ, CASE)
"""Any one of these (or ``admin``) opens the reports: counts only, within the token's areas."""


@dataclass(frozen=True)
class Reader:
    """A client allowed to see case contents, with the purpose of this request."""

    principal: Principal
    purpose: str
    request_id: str | None

    @property
    def client_id(self) -> str:
        return self.principal.client_id

    @property
    def areas(self) -> tuple[str, ...] | None:
        """The areas this client is limited to (None: the whole province), expanded to their territory (the old
        and new codes of the same ground, as :attr:`Principal.limited_to`); ``admin`` does not widen them."""
        return territory(self.principal.areas) if self.principal.areas else None

    @property
    def can_write(self) -> bool:
        return CASE in self.principal.scopes

    def may_see_area(self, *codes: str | None) -> bool:
        """As :meth:`Principal.may_see_area`, with this module's areas (``admin`` does not widen them); for
        :func:`common.areas.visible_or_404` and :func:`common.areas.sees`."""
        areas = self.areas
        return areas is None or any(code in areas for code in codes if code)


def _reader(request: Request, principal: Principal, purpose: str | None, scopes: Sequence[str]) -> Reader:
    if not principal.scopes & set(scopes):
        raise Forbidden(
            f"case contents need the scope {' or '.join(scopes)}; other clients see counts only (the reports)",
            required_scopes=list(scopes),
        )
    return Reader(
        principal,
        stated_purpose(purpose, "say why you read this record (X-Purpose header); every read is audited"),
        request.scope.get("request_id"),
    )


PurposeHeader = Annotated[
    str | None, purpose_header("Why the record is read (e.g. `home visit`, `case review`); required, audited")
]


def read_access(request: Request, principal: Annotated[Principal, require()], purpose: PurposeHeader = None) -> Reader:
    """Route dependency: a case worker or supervisor, with the purpose of the read."""
    return _reader(request, principal, purpose, ROLE_SCOPES)


def write_access(
    request: Request, principal: Annotated[Principal, require(CASE)], purpose: PurposeHeader = None
) -> Reader:
    """Route dependency: a case worker (named ``child_protection:case`` scope), with the purpose."""
    return _reader(request, principal, purpose, (CASE,))


def supervisor_access(
    request: Request, principal: Annotated[Principal, require(READ)], purpose: PurposeHeader = None
) -> Reader:
    """Route dependency: a supervisor (named ``child_protection:read`` scope)."""
    return _reader(request, principal, purpose, (READ,))


ReadAccess = Annotated[Reader, Depends(read_access)]
WriteAccess = Annotated[Reader, Depends(write_access)]
SupervisorAccess = Annotated[Reader, Depends(supervisor_access)]
CountsAccess = Annotated[Principal, require_any(*COUNT_SCOPES)]
"""Route parameter: a client entitled to the counts (:data:`COUNT_SCOPES` or ``admin``); 403 naming them otherwise."""
