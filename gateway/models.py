"""ORM models of the gateway; every table lives in the ``gateway`` schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, DateTime, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from common.db import make_base

SCHEMA = "gateway"
Base = make_base(SCHEMA)


class Client(Base):
    """A partner system (or an internal service) allowed to ask for tokens (RFC 6749 §4.4)."""

    __tablename__ = "clients"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    client_id: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    secret_hash: Mapped[str] = mapped_column(Text)
    """argon2id hash; the secret itself is shown once, at creation or rotation."""
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    areas: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    """Administrative unit codes (province, district or commune) the client may see; empty = all."""
    rate_per_second: Mapped[int] = mapped_column(Integer)
    burst: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    secret_rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tokens_not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Tokens issued at or before this instant are refused (set by revoke and rotate-secret)."""


class SigningKey(Base):
    """An Ed25519 key pair for tokens. The newest unretired key signs; retired keys stay published until
    every token they signed has expired."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(Text, primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
