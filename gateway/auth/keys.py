"""Ed25519 signing keys: made on first start, rotated with ``ansinh keys rotate``.

The private key is kept in the gateway's own schema, readable only by the gateway's role. Rotation
retires the previous key; it stays in the JWKS until every token it signed has expired, so rotation
never logs anyone out.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import public_jwk

from ..models import SigningKey
from . import repository


def new_key() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    kid = datetime.now(UTC).strftime("%Y%m%d") + "-" + secrets.token_hex(4)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return SigningKey(kid=kid, private_pem=pem, public_jwk=public_jwk(private.public_key(), kid))


def load_private(key: SigningKey) -> Any:
    return serialization.load_pem_private_key(key.private_pem.encode(), password=None)


async def ensure_active_key(session: AsyncSession) -> SigningKey:
    """The signing key; made if none exists. Serialised so two starting replicas make only one."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('ansinh.gateway.signing_keys'))"))
    key = await repository.active_key(session)
    if key is None:
        key = new_key()
        session.add(key)
        await session.flush()
    return key


async def rotate(session: AsyncSession) -> SigningKey:
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('ansinh.gateway.signing_keys'))"))
    key = new_key()
    session.add(key)
    await session.flush()
    await repository.retire_keys_except(session, key.kid, datetime.now(UTC))
    return key


async def jwks(session: AsyncSession, token_ttl: int) -> dict[str, Any]:
    horizon = datetime.now(UTC) - timedelta(seconds=token_ttl + 60)
    return {"keys": [k.public_jwk for k in await repository.published_keys(session, horizon)]}
