"""HTTP surface of the auth feature: the token endpoint and the published keys."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from common.db import SessionDep

from . import keys, repository
from . import service as auth_service
from .exceptions import InvalidClient, InvalidRequest, UnsupportedGrantType

router = APIRouter(tags=["authentication"])

_TOKEN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {"type": "string", "description": "Or send it with HTTP Basic authentication"},
                        "client_secret": {"type": "string", "description": "Or send it with HTTP Basic authentication"},
                        "scope": {"type": "string", "description": "Space-separated subset of the client's scopes"},
                    },
                }
            }
        },
    }
}


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("malformed Basic credentials") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClient("malformed Basic credentials")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


@router.post(
    "/auth/token",
    summary="Get an access token (OAuth2 client credentials)",
    openapi_extra=_TOKEN_FORM,
    responses={
        400: {"description": "invalid_request, unsupported_grant_type or invalid_scope"},
        401: {"description": "invalid_client"},
    },
)
async def token(request: Request, session: SessionDep) -> JSONResponse:
    """Exchange a client id and secret for a short-lived bearer token (RFC 6749 §4.4).

    Send `grant_type=client_credentials` form-encoded, with the credentials either as HTTP Basic
    authentication (preferred) or as `client_id` / `client_secret` form fields. Ask for fewer scopes
    with `scope`. The token is an EdDSA-signed JWT carrying `scope`, `areas` and `client_id`; verify
    it, if you need to, with `/.well-known/jwks.json`. Ask for a new one shortly before `expires_in`.
    """
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise InvalidRequest("send the form as application/x-www-form-urlencoded")
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    grant = form.get("grant_type")
    if grant != "client_credentials":
        if grant:
            raise UnsupportedGrantType("grant_type must be client_credentials")
        raise InvalidRequest("grant_type is required")
    creds = _basic_credentials(request) or (form.get("client_id", ""), form.get("client_secret", ""))
    if not creds[0] or not creds[1]:
        raise InvalidClient("client credentials are required")
    client = await auth_service.authenticate(session, *creds)
    requested = form.get("scope", "").split() or None
    settings = request.app.state.settings
    body = auth_service.issue_token(request.app.state.signer, client, requested, settings.token_ttl_seconds)
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.get("/.well-known/jwks.json", summary="Public keys that sign access tokens")
async def jwks(request: Request, session: SessionDep) -> JSONResponse:
    """The JSON Web Key Set of the gateway (Ed25519). Includes recently retired keys so that tokens they
    signed stay verifiable until they expire."""
    body = await keys.jwks(session, request.app.state.settings.token_ttl_seconds)
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=60"})


@router.get("/auth/revocations", summary="Revoked tokens, by opaque revocation id")
async def revocations(session: SessionDep) -> JSONResponse:
    """For services verifying tokens themselves: per revocation id (the `rid` claim of a token: an opaque id
    of its client, never the client's name), the instant (epoch seconds) at or before which its tokens were
    issued and must now be refused (the client was revoked, its secret rotated or its scopes changed). Needs
    no token, so that every process can refresh it every few seconds; it names no client."""
    body = {"not_before": await repository.revocations(session)}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
