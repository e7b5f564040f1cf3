"""The event tables every service has in its own schema: outbox, per-subject sequences, inbox, canaries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID


@dataclass(frozen=True)
class EventTables:
    outbox: Table
    sequences: Table
    inbox: Table
    canary_receipts: Table


def event_tables(metadata: MetaData) -> EventTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("type", Text, nullable=False),
        Column("subject", Text, nullable=False),
        Column("sequence", Integer, nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()),
        comment="Events committed with the change that caused them, waiting for the relay",
    )
    sequences = Table(
        "event_sequences",
        metadata,
        Column("subject", Text, primary_key=True),
        Column("last", Integer, nullable=False),
        comment="Last sequence number given to an event of each subject",
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("type", Text, nullable=False),
        Column("source", Text, nullable=False),
        Column("subject", Text, nullable=False),
        Column("sequence", Integer, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()),
        comment="Events already applied here: a second delivery of the same id has no effect",
    )
    canary_receipts = Table(
        "canary_receipts",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("source", Text, nullable=False),
        Column("subject", Text, nullable=False),
        Column("sequence", Integer, nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()),
        comment="Canary events received from other services (checks the event path end to end)",
    )
    return EventTables(outbox, sequences, inbox, canary_receipts)
