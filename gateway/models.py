"""ORM models of the gateway; every table lives in the ``gateway`` schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, DateTime, Identity, Index, Integer, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common.daily import job_runs_table
from common.db import schema_metadata

SCHEMA = "gateway"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


JOB_RUNS = job_runs_table(Base.metadata)


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


class HubEvent(Base):
    """Every event the hub has accepted, once (deduplicated on ``id``); ``position`` orders the pull feed."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_areas", "areas", postgresql_using="gin"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    source: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text, index=True)
    subject: Mapped[str] = mapped_column(Text)
    sequence: Mapped[int] = mapped_column(Integer)
    envelope: Mapped[dict[str, Any]] = mapped_column(JSONB)
    areas: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    """The area codes the event concerns: the non-empty ``commune_code``, ``district_code`` and ``province_code``
    of its ``data``, computed once when the hub stores it. Empty: the event concerns no area (a canary, a
    province-wide payroll) and goes only to unrestricted subscribers."""
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())


class Subscription(Base):
    """Where events of some types go: a service's inbox (internal) or a partner's webhook."""

    __tablename__ = "subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str | None] = mapped_column(Text, unique=True)
    """Internal subscriptions are keyed by name (from configuration); partners' have none."""
    owner: Mapped[str | None] = mapped_column(Text, index=True)
    """client_id of the partner that made it; None for internal ones."""
    url: Mapped[str] = mapped_column(Text)
    types: Mapped[list[str]] = mapped_column(ARRAY(Text))
    secret: Mapped[str] = mapped_column(Text)
    """whsec_… secret; deliveries are signed with it (Standard Webhooks)."""
    description: Mapped[str] = mapped_column(Text, default="")
    areas: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    """The areas of the client that made it (empty: unrestricted, as internal subscriptions are): it gets only
    events whose areas overlap these. Follows the client when an operator changes its areas."""
    territory: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    """``areas`` expanded to their territory (:mod:`common.territory`: the old and new codes of the same ground),
    what events are matched against; empty exactly when ``areas`` is. Recomputed whenever ``areas`` is set."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One event for one subscription: pending → delivered, or dead after the last attempt."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        # Only the pending rows (the dispatcher's round, repository.due_chains): not the delivered and dead ones.
        Index("ix_deliveries_pending_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index(
            "ix_deliveries_pending_order",
            "subscription_id",
            "subject",
            "position",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    # No foreign keys (gateway_0007): their per-row checks were ~45% of storing a batch of events. A delivery is made
    # only by the hub's own statements, in the statement that stores its event or from a live subscription row;
    # the API never deletes a subscription (``deleted_at``), and an event is pruned only once no delivery refers to it.
    subscription_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    subject: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
