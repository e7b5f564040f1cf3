"""Error codes of the token endpoint (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here. Each also
carries RFC 6749's ``error`` (the code with underscores) for OAuth2 clients.
"""

from __future__ import annotations

from typing import Any

from common.errors import BadRequest, Unauthorized


class InvalidRequest(BadRequest):
    """The body is not form-encoded, or ``grant_type`` is missing (OAuth2 ``invalid_request``)."""

    code = "invalid-request"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        super().__init__(detail, error="invalid_request", **kw)


class UnsupportedGrantType(BadRequest):
    """``grant_type`` is not ``client_credentials``."""

    code = "unsupported-grant-type"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        super().__init__(detail, error="unsupported_grant_type", **kw)


class InvalidScope(BadRequest):
    """A scope the client does not hold."""

    code = "invalid-scope"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        super().__init__(detail, error="invalid_scope", **kw)


class InvalidClient(Unauthorized):
    """Missing, malformed, unknown, wrong or revoked credentials."""

    code = "invalid-client"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        super().__init__(detail, error="invalid_client", **kw)
