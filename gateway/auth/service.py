"""Use cases of the auth feature: managing clients, issuing tokens, keeping keys fresh."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common import clock
from common.auth import ALGORITHM, AUDIENCE, ISSUER, SCOPES
from common.errors import Conflict, NotFound, ValidationFailed

from ..events import repository as events_repository
from ..models import Client
from . import keys, repository
from .exceptions import InvalidClient, InvalidScope

_hasher = PasswordHasher()
_CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
_AREA = re.compile(r"^\d{2}(\d{1}|\d{3})?$")  # province (2), district (3) or commune (5) code
# A fixed hash to verify against when the client is unknown, so timing does not reveal which ids exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass
class IssuedSecret:
    client: Client
    secret: str


def validate_client_fields(client_id: str, scopes: list[str], areas: list[str]) -> None:
    errors = []
    if not _CLIENT_ID.match(client_id):
        errors.append({"field": "client_id", "reason": "3-64 characters: lower-case letters, digits, . _ -"})
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        errors.append({"field": "scopes", "reason": f"unknown scope(s): {', '.join(unknown)}"})
    if not scopes:
        errors.append({"field": "scopes", "reason": "give at least one scope"})
    bad_areas = [a for a in areas if not _AREA.match(a)]
    if bad_areas:
        errors.append({"field": "areas", "reason": f"not an administrative unit code: {', '.join(bad_areas)}"})
    if errors:
        raise ValidationFailed(errors)


async def create_client(
    session: AsyncSession,
    client_id: str,
    *,
    name: str | None = None,
    scopes: list[str],
    areas: list[str],
    rate_per_second: int,
    burst: int,
) -> IssuedSecret:
    validate_client_fields(client_id, scopes, areas)
    if await repository.get_client(session, client_id):
        raise Conflict(f"a client named {client_id!r} exists", existing=client_id)
    secret = secrets.token_urlsafe(32)
    client = Client(
        id=uuid.uuid4(),
        client_id=client_id,
        name=name or client_id,
        secret_hash=_hasher.hash(secret),
        scopes=sorted(set(scopes)),
        areas=sorted(set(areas)),
        rate_per_second=rate_per_second,
        burst=burst,
    )
    session.add(client)
    await session.flush()
    return IssuedSecret(client, secret)


async def ensure_service_client(session: AsyncSession, client_id: str, secret: str, scopes: list[str]) -> Client:
    """A service's own client (e.g. ``svc-registry`` with ``events:publish``), with a secret chosen by the
    operator's tooling; idempotent, so ``ansinh up`` can run it at every start."""
    client = await repository.get_client(session, client_id)
    if client is None:
        client = Client(
            id=uuid.uuid4(),
            client_id=client_id,
            name=f"{client_id} (service)",
            secret_hash="",
            scopes=scopes,
            areas=[],
            rate_per_second=10_000,
            burst=20_000,
        )
        session.add(client)
    else:
        client.scopes, client.revoked_at = scopes, None
        try:
            _hasher.verify(client.secret_hash, secret)
            await session.flush()
            return client
        except (VerificationError, InvalidHashError):
            pass
    client.secret_hash = _hasher.hash(secret)
    await session.flush()
    return client


async def _require(session: AsyncSession, client_id: str) -> Client:
    client = await repository.get_client(session, client_id)
    if client is None:
        raise NotFound(f"no client named {client_id!r}")
    return client


async def revoke_client(session: AsyncSession, client_id: str) -> Client:
    """The client can get no new token, and every token it holds stops working within seconds. Its event
    subscriptions end too (with their pending deliveries): a revoked partner receives nothing more."""
    client = await _require(session, client_id)
    now = datetime.now(UTC)
    client.revoked_at = client.revoked_at or now
    client.tokens_not_before = now
    await session.flush()
    await events_repository.end_subscriptions(session, owner=client.client_id)
    return client


@dataclass
class UpdatedClient:
    client: Client
    offered_batches: int
    """``payments.batch.ready.v1`` events of open batches newly queued to the client's subscriptions."""


async def update_client(
    session: AsyncSession,
    client_id: str,
    *,
    scopes: list[str] | None = None,
    areas: list[str] | None = None,
    rate_per_second: int | None = None,
    burst: int | None = None,
) -> UpdatedClient:
    """Change what a client may do (``None``: unchanged). Tokens carry the scopes and areas they were issued
    with, so every token the client holds stops working within seconds: it asks for a new one with the same
    secret and gets the new scopes and areas (e.g. the 2025 communes instead of the pre-2025 district).

    Its subscriptions follow the new areas, and are offered the ``batch.ready`` events of the open batches
    (deadline not past) of their new territory that they had not been sent: a post office moved to new communes
    gets the batches it has to pay this month."""
    client = await _require(session, client_id)
    if client.revoked_at:
        raise Conflict(f"client {client_id!r} is revoked")
    validate_client_fields(
        client_id, client.scopes if scopes is None else scopes, client.areas if areas is None else areas
    )
    errors = [
        {"field": name, "reason": "must be at least 1"}
        for name, value in (("rate_per_second", rate_per_second), ("burst", burst))
        if value is not None and value < 1
    ]
    if errors:
        raise ValidationFailed(errors)
    if scopes is not None:
        client.scopes = sorted(set(scopes))
    if areas is not None:
        client.areas = sorted(set(areas))
    client.rate_per_second = rate_per_second or client.rate_per_second
    client.burst = burst or client.burst
    client.tokens_not_before = datetime.now(UTC)
    await session.flush()
    await events_repository.set_owner_areas(
        session, client.client_id, [] if "admin" in client.scopes else list(client.areas)
    )
    offered = await events_repository.offer_open_batches(session, client.client_id, clock.today())
    return UpdatedClient(client, offered)


async def rotate_secret(session: AsyncSession, client_id: str) -> IssuedSecret:
    """A new secret; the old one and every token got with it stop working."""
    client = await _require(session, client_id)
    if client.revoked_at:
        raise Conflict(f"client {client_id!r} is revoked")
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    client.secret_hash = _hasher.hash(secret)
    client.secret_rotated_at = now
    client.tokens_not_before = now
    await session.flush()
    return IssuedSecret(client, secret)


async def authenticate(session: AsyncSession, client_id: str, secret: str) -> Client:
    client = await repository.get_client(session, client_id)
    stored = client.secret_hash if client is not None else _DUMMY_HASH
    try:
        # argon2 is deliberately slow (~tens of ms): keep it off the event loop.
        await asyncio.to_thread(_hasher.verify, stored, secret)
    except (VerificationError, InvalidHashError):
        client = None
    if client is None or client.revoked_at is not None:
        raise InvalidClient("unknown client or wrong secret", headers={"WWW-Authenticate": 'Basic realm="ansinh"'})
    return client


class Signer:
    """The gateway's current signing key, in memory; refreshed with the verifier's keys."""

    def __init__(self) -> None:
        self.kid: str | None = None
        self.private: Any = None

    def use(self, kid: str, private: Any) -> None:
        self.kid, self.private = kid, private

    def sign(self, claims: dict[str, Any]) -> str:
        if self.private is None:
            raise RuntimeError("no signing key loaded yet")
        return jwt.encode(claims, self.private, algorithm=ALGORITHM, headers={"kid": self.kid})


def issue_token(signer: Signer, client: Client, requested: list[str] | None, ttl: int) -> dict[str, Any]:
    """RFC 6749 §4.4.3 access token response for ``client``, narrowed to ``requested`` scopes if given."""
    granted = set(client.scopes)
    if requested:
        extra = sorted(set(requested) - granted)
        if extra:
            raise InvalidScope(f"scope(s) not granted to this client: {' '.join(extra)}")
        granted = set(requested)
    now = round(time.time(), 3)  # NumericDate may be fractional: a token got right after a rotation
    # (sub-second tokens_not_before) must not be mistaken for one from before it.
    scope = " ".join(sorted(granted))
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": client.client_id,
        "client_id": client.client_id,
        "rid": client.id.hex,
        "scope": scope,
        "areas": list(client.areas),
        "iat": now,
        "nbf": int(now),
        "exp": int(now) + ttl,
        "jti": uuid.uuid4().hex,
        "rl": [client.rate_per_second, client.burst],
    }
    return {"access_token": signer.sign(claims), "token_type": "Bearer", "expires_in": ttl, "scope": scope}


def key_loader(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, token_ttl: int
) -> Callable[[], Awaitable[tuple[dict[str, Any], dict[str, float]]]]:
    """For :class:`common.auth.KeyRefresher`: keys and revocations from the gateway's own tables."""

    async def load() -> tuple[dict[str, Any], dict[str, float]]:
        async with sessionmaker() as session, session.begin():
            active = await keys.ensure_active_key(session)
            if signer.kid != active.kid:
                signer.use(active.kid, keys.load_private(active))
            return await keys.jwks(session, token_ttl), await repository.revocations(session)

    return load
