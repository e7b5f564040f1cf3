"""Token verification shared by the gateway and every service.

The gateway issues short-lived EdDSA-signed JWTs (OAuth2 client credentials). Each process verifies
them itself against the gateway's published keys, so a request that reaches a service directly
without a valid token gets 401, exactly as through the gateway.

Speed: verifying an Ed25519 signature costs more than proxying a request, so a verified token is
remembered until it expires. Revocation still takes effect: each process keeps a small map
``revocation id → tokens issued before this instant are void``, refreshed every few seconds (from the
gateway's database in the gateway, from ``/auth/revocations`` in the services) — never a database
round trip per request. The revocation id is the token's ``rid`` claim, an opaque id of its client, so the
public list of revocations names no client.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

import jwt
import structlog
from fastapi import Depends, Header, Request
from fastapi.openapi.models import OAuthFlows
from fastapi.security import OAuth2, SecurityScopes
from jwt.algorithms import OKPAlgorithm

from .asgi import ASGIApp, Receive, Scope, Send, cancel_and_wait, get_header, send_bytes
from .errors import PROBLEM_CONTENT_TYPE, Forbidden, Unauthorized, ValidationFailed, problem_bytes
from .territory import territory

log = structlog.get_logger("auth")

ALGORITHM = "EdDSA"
AUDIENCE = "ansinh"
ISSUER = "ansinh-gateway"

SCOPES: dict[str, str] = {
    "registry:read": "Read persons, households, beneficiaries and entitlements (within the token's areas)",
    "registry:write": "Register persons and households, record applications and decisions",
    "registry:sensitive": "Read sensitive fields (HIV status); every read is audited",
    "payments:read": "Read payrolls, ledger and reports",
    "payments:write": "Generate payrolls, create one-off payments",
    "payments:approve": "Approve payrolls (maker-checker: not the client that generated them)",
    "payments:disburse": "Postal partner: download pay-point batches and report payment results",
    "insurance:read": "Department officers: read entitlements, cards, TE proposals, contributions and parameters",
    "insurance:write": "Department officers: build the period's BHXH list, resolve its exceptions, record pupils and "
    "students (HS, SV)",
    "insurance:exchange": "Social Insurance office (BHXH): lists to enrol, renew, change and end; card results",
    "insurance:coverage": "Hospitals and field-officer apps: whether a person's health-insurance card is valid on a "
    "day (nothing else); rate-limited, every call audited",
    "child_protection:read": "Read children's records and cases (within the token's areas); audited",
    "child_protection:case": "Case workers: open and manage cases, placements and support",
    "events:publish": "Services: publish domain events to the hub",
    "events:subscribe": "Subscribe to events (webhooks) and read the event feed",
    "metrics:read": "Scrape Prometheus metrics",
    "reports:read": "Read the year-end report the gateway composes from each service's reports, and child "
    "protection's counts (/child-protection/reports/…), within the token's areas",
    "admin": "Everything, including managing clients and reference data",
}
"""Every scope a client may hold, with the text partners see in the API document."""

IMPLIED_BY: dict[str, tuple[str, ...]] = {"insurance:coverage": ("insurance:read",)}
"""A narrow scope that a broader one includes: a client with ``insurance:read`` may also check coverage."""

PUBLIC_PATHS = frozenset({"/health", "/ready", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
"""Paths that never need a token: liveness, readiness and the API documents."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the client of the verified token, its scopes and its administrative areas."""

    client_id: str
    scopes: frozenset[str]
    areas: tuple[str, ...]
    issued_at: float
    expires_at: int
    token_id: str = ""
    revocation_id: str = ""
    """The token's ``rid``: the opaque id under which the gateway publishes the client's revocations."""
    rate_limit: tuple[float, int] | None = None
    """(requests per second, burst) for this client, from the token's ``rl`` claim."""

    def has(self, *scopes: str) -> bool:
        return "admin" in self.scopes or all(
            s in self.scopes or any(b in self.scopes for b in IMPLIED_BY.get(s, ())) for s in scopes
        )

    @property
    def limited_to(self) -> tuple[str, ...] | None:
        """The area codes this client's reads are limited to; None when unrestricted (no areas, or ``admin``).

        The token's areas expanded to their territory (:mod:`common.territory`): the old and new codes of the same
        ground, so a client given pre-2025 codes sees the records made in the 2025 units there, and the other way
        round."""
        return None if not self.areas or "admin" in self.scopes else territory(self.areas)

    def may_see_area(self, *codes: str | None) -> bool:
        """True if any of ``codes`` (province, district or commune code of a record) is within the token's
        areas. A token with no area restriction (``areas`` empty) sees everything; ``admin`` too."""
        areas = self.limited_to
        return areas is None or any(code in areas for code in codes if code)


class TokenError(Exception):
    """Why a token was refused; ``reason`` goes into the 401 problem."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def public_jwk(key: Any, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = OKPAlgorithm.to_jwk(key, as_dict=True)
    jwk.pop("d", None)
    return {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}


@dataclass
class _Cached:
    principal: Principal
    kid: str


@dataclass
class TokenVerifier:
    """Verifies tokens against a key set; caches results until the token expires.

    ``keys`` maps kid → public key. ``not_before`` maps revocation id (the ``rid`` claim) → epoch seconds:
    tokens carrying that id issued at or before it are refused (revocation, secret rotation).
    """

    audience: str = AUDIENCE
    issuer: str = ISSUER
    leeway: int = 5
    max_cache: int = 100_000
    keys: dict[str, Any] = field(default_factory=dict)
    not_before: dict[str, float] = field(default_factory=dict)
    _cache: dict[str, _Cached] = field(default_factory=dict)
    on_unknown_kid: Callable[[], Awaitable[None]] | None = None

    def set_keys(self, jwks: dict[str, Any]) -> None:
        keys = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") == "OKP" and jwk.get("kid"):
                keys[jwk["kid"]] = OKPAlgorithm.from_jwk(jwk)
        self.keys = keys
        # A key that disappeared from the set invalidates what it signed.
        self._cache = {t: c for t, c in self._cache.items() if c.kid in keys}

    def set_not_before(self, not_before: dict[str, float]) -> None:
        self.not_before = not_before
        if not_before:
            self._cache = {
                t: c
                for t, c in self._cache.items()
                if c.principal.issued_at > not_before.get(c.principal.revocation_id, -1)
            }

    async def verify(self, token: str) -> Principal:
        cached = self._cache.get(token)
        now = time.time()
        if cached is not None:
            p = cached.principal
            if p.expires_at + self.leeway < now:
                del self._cache[token]
                raise TokenError("the token has expired")
            return p
        principal, kid = await self._verify_signature(token)
        revoked_at = self.not_before.get(principal.revocation_id)
        if revoked_at is not None and principal.issued_at <= revoked_at:
            raise TokenError("the client's tokens were revoked")
        if len(self._cache) >= self.max_cache:
            self._evict(now)
        self._cache[token] = _Cached(principal, kid)
        return principal

    async def _verify_signature(self, token: str) -> tuple[Principal, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenError("the token is not a well-formed JWT") from exc
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not kid:
            raise TokenError("the token is not signed with the gateway's algorithm")
        key = self.keys.get(kid)
        if key is None and self.on_unknown_kid is not None:
            await self.on_unknown_kid()
            key = self.keys.get(kid)
        if key is None:
            raise TokenError("the token is signed by an unknown key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "client_id"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("the token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenError("the token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenError("the token is from another issuer") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenError("the token's signature is invalid") from exc
        except jwt.PyJWTError as exc:
            raise TokenError(f"the token is invalid: {exc}") from exc
        revocation_id = claims.get("rid")
        if not isinstance(revocation_id, str) or not revocation_id:
            # Revocations are published by this id only: a token without it could not be revoked here.
            raise TokenError("the token has no revocation id (rid); get a new token")
        scope = claims.get("scope", "")
        principal = Principal(
            client_id=str(claims["client_id"]),
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            areas=tuple(str(a) for a in claims.get("areas", []) or []),
            issued_at=float(claims["iat"]),
            expires_at=int(claims["exp"]),
            token_id=str(claims.get("jti", "")),
            revocation_id=revocation_id,
            rate_limit=_rate_limit(claims.get("rl")),
        )
        return principal, kid

    def _evict(self, now: float) -> None:
        self._cache = {t: c for t, c in self._cache.items() if c.principal.expires_at > now}
        if len(self._cache) >= self.max_cache:  # still full of live tokens: start over rather than grow
            self._cache.clear()


def _rate_limit(value: Any) -> tuple[float, int] | None:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int | float) and v > 0 for v in value):
        return float(value[0]), int(value[1])
    return None


def bearer_token(scope: Scope) -> str | None:
    raw = get_header(scope, b"authorization")
    if raw is None or len(raw) < 8 or raw[:7].lower() != b"bearer ":
        return None
    return raw[7:].strip().decode("latin-1")


async def send_unauthorized(scope: Scope, send: Send, reason: str) -> None:
    body = problem_bytes(401, "unauthorized", "Authentication required", reason, request_id=scope.get("request_id"))
    await send_bytes(
        send,
        401,
        body,
        PROBLEM_CONTENT_TYPE.encode(),
        [(b"www-authenticate", b'Bearer realm="ansinh", error="invalid_token"')],
    )


class AuthMiddleware:
    """Pure ASGI: every request but the public paths must carry a valid bearer token.

    The verified :class:`Principal` is put in ``scope["principal"]`` for routes and scope checks.
    """

    def __init__(self, app: ASGIApp, verifier: TokenVerifier, public_paths: Iterable[str] = PUBLIC_PATHS) -> None:
        self.app = app
        self.verifier = verifier
        self.public = frozenset(public_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public:
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        if token is None:
            await send_unauthorized(scope, send, "send an access token: Authorization: Bearer <token>")
            return
        try:
            scope["principal"] = await self.verifier.verify(token)
        except TokenError as exc:
            await send_unauthorized(scope, send, exc.reason)
            return
        await self.app(scope, receive, send)


# --- FastAPI side: scopes declared next to the routes (they appear in the OpenAPI document) ---------

oauth2_scheme = OAuth2(
    flows=OAuthFlows(clientCredentials={"tokenUrl": "/auth/token", "scopes": SCOPES}),
    scheme_name="OAuth2",
    auto_error=False,
    description="Client credentials: POST /auth/token at the gateway, then `Authorization: Bearer <token>`.",
)


def current_principal(request: Request) -> Principal:
    principal = request.scope.get("principal")
    if principal is None:
        raise Unauthorized("send an access token: Authorization: Bearer <token>")
    return cast(Principal, principal)


def scope_refusal(principal: Principal, alternatives: Sequence[Iterable[str]]) -> tuple[str, list[str]] | None:
    """Why ``principal`` may not use a route that any one of ``alternatives`` (sets of scopes, each read as
    :meth:`Principal.has` reads them: ``admin`` and :data:`IMPLIED_BY` count) opens: the 403's detail and its
    ``required_scopes``; None when one of them will do. No alternatives, or an empty one, needs no scope.

    The services' route checks and the gateway's (which reads the alternatives from the services' OpenAPI
    ``security``, a list of alternatives) both answer through here, so they refuse alike."""
    sets = [list(dict.fromkeys(a)) for a in alternatives]
    if not sets or any(principal.has(*s) for s in sets):
        return None
    lacking = [[scope for scope in s if scope not in principal.scopes] for s in sets]
    named = list(dict.fromkeys(scope for s in lacking for scope in s))
    if len(lacking) == 1:
        return f"this route needs the scope(s) {' '.join(sorted(named))}", sorted(named)
    said = [" ".join(s) for s in lacking]
    return f"this route needs one of the scopes {', '.join(said[:-1])} or {said[-1]}", named


async def _check_scopes(
    security_scopes: SecurityScopes, request: Request, _token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    principal = current_principal(request)
    refused = scope_refusal(principal, [security_scopes.scopes])
    if refused is not None:
        raise Forbidden(refused[0], required_scopes=refused[1])
    return principal


def require(*scopes: str) -> Any:
    """Route dependency: ``dependencies=[require("registry:read")]`` or ``p: Principal = require(...)``."""
    from fastapi import Security

    return Security(_check_scopes, scopes=list(scopes))


ANY_OF = "ansinh_any_of_scopes"
"""The attribute naming the scopes of a :func:`require_any` check, for the API document (``common.openapi``)."""


def require_any(*scopes: str) -> Any:
    """Route dependency: any ONE of ``scopes`` will do (each as :meth:`Principal.has` reads it, so ``admin`` and
    :data:`IMPLIED_BY` too): ``p: Annotated[Principal, require_any("reports:read", "child_protection:read")]``.

    The API document lists them as alternative ``security`` requirements (OpenAPI: any one of the list), which the
    gateway reads (``gateway/routes.py``) to refuse at the door as the service does; a 403 names every one of them.
    """
    if not scopes:
        raise ValueError("require_any needs at least one scope; require() takes any valid token")
    alternatives = [[s] for s in scopes]

    async def check_any(request: Request, _token: Annotated[str | None, Depends(oauth2_scheme)]) -> Principal:
        principal = current_principal(request)
        refused = scope_refusal(principal, alternatives)
        if refused is not None:
            raise Forbidden(refused[0], required_scopes=refused[1])
        return principal

    setattr(check_any, ANY_OF, tuple(scopes))
    return Depends(check_any)


class KeyRefresher:
    """Keeps a verifier's keys and revocations fresh from a source, in the background.

    ``load`` returns ``(jwks, not_before)``. Refreshes every ``interval`` seconds and, at most once a
    second, on demand when a token names a key we have not seen (a rotation).
    """

    def __init__(
        self,
        verifier: TokenVerifier,
        load: Callable[[], Awaitable[tuple[dict[str, Any], dict[str, float]]]],
        interval: float = 5.0,
    ) -> None:
        self.verifier = verifier
        self.load = load
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._last = 0.0
        self._lock = asyncio.Lock()
        verifier.on_unknown_kid = self.refresh_soon

    async def refresh(self) -> bool:
        try:
            jwks, not_before = await self.load()
        except Exception as exc:  # keep the last good keys; the next attempt may succeed
            # Before the first success (services start before the gateway) this is expected, not a warning.
            emit = log.warning if self._last else log.info
            emit("key_refresh_failed", error=type(exc).__name__, detail=str(exc)[:200])
            return False
        self.verifier.set_keys(jwks)
        self.verifier.set_not_before(not_before)
        self._last = time.monotonic()
        return True

    async def refresh_soon(self) -> None:
        async with self._lock:
            if time.monotonic() - self._last >= 1.0:
                await self.refresh()

    async def start(self) -> None:
        await self.refresh()
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.refresh()

    async def stop(self) -> None:
        await cancel_and_wait(self._task)


PURPOSE_HEADER = "X-Purpose"


def purpose_header(description: str) -> Any:
    """``X-Purpose`` as a route parameter: ``purpose: Annotated[str | None, purpose_header("Why …")] = None``;
    check it with :func:`stated_purpose` (a missing header is a 422 naming it, never FastAPI's generic one)."""
    return Header(alias=PURPOSE_HEADER, max_length=500, description=description)


def stated_purpose(value: str | None, reason: str) -> str:
    """The stated purpose of a read that is audited or logged, stripped; 422 on ``header.x-purpose`` with
    ``reason`` when it is missing or blank."""
    if not value or not value.strip():
        raise ValidationFailed([{"field": "header.x-purpose", "reason": reason}])
    return value.strip()
