"""ORM models of the insurance service; every table lives in the ``insurance`` schema.

Four groups: **parameters** (card groups; effective-dated base salary, contribution rate, state shares and the
household scheme's factors, each proposed and approved by two different admins); the **projection** of what
insurance needs from the registry (persons without name or national ID, beneficiary decisions, household
memberships and poverty statuses), written only by inbox handlers; the **decision** (entitlement segments per
person) and the **cards** with their append-only history; the **exchange** with the Social Insurance office
(lists per period and their items, results, exceptions) and the **coverage** audit.

No health data is stored: the beneficiary categories the registry publishes are dropped on receipt (5.3 and 5.8
would reveal an HIV status); BT is all insurance keeps.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common.areas import AreaColumns
from common.daily import job_runs_table
from common.db import schema_metadata
from common.events.tables import event_tables
from common.idempotency import Idempotency, idempotency_table

SCHEMA = "insurance"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


EVENT_TABLES = event_tables(Base.metadata)
JOB_RUNS = job_runs_table(Base.metadata)
IDEMPOTENCY = Idempotency(idempotency_table(Base.metadata))


# --- parameters --------------------------------------------------------------------------------------------


class CardGroup(Base):
    """A card group (Decree 146/2018 Art 3–4): object code, benefit level and the statutory order that breaks a
    tie between groups of the same level. The state share is an effective-dated parameter (``state_share.<code>``)."""

    __tablename__ = "card_groups"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    benefit_level: Mapped[int] = mapped_column(Integer)
    statutory_order: Mapped[int] = mapped_column(Integer)
    from_events: Mapped[bool] = mapped_column(Boolean)
    """True when the registry's events decide entitlement; False for groups recorded as data (HS, SV)."""
    legal_basis: Mapped[str] = mapped_column(Text)


class Parameter(Base):
    """An effective-dated value (``base_salary`` VND, ``contribution_rate``, ``state_share.<group>``,
    ``household_factor.<n>``), in force from ``valid_from`` once approved. Maker-checker: ``decided_by`` differs
    from ``proposed_by``. Approved values are never changed: a new value is a new row."""

    __tablename__ = "parameters"
    __table_args__ = (
        Index(
            "uq_parameters_approved", "name", "valid_from", unique=True, postgresql_where=text("status = 'approved'")
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric)
    legal_basis: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    """proposed, approved or rejected."""
    proposed_by: Mapped[str] = mapped_column(Text)
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text, server_default="")


# --- projection (from registry events) -------------------------------------------------------------------


class Person(AreaColumns, Base):
    """A registry person as insurance needs them: birth date, sex, areas, birth registration and death. No name, no
    national ID (fetched from the registry when a list is built); ``national_id_digest`` is a keyed hash learnt
    then, so the coverage check can find the person without storing the number."""

    __tablename__ = "persons"
    __table_args__ = (Index("ix_persons_area", "province_code", "district_code", "commune_code"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(Text)
    registered_on: Mapped[date | None] = mapped_column(Date)
    """The day the registry registered the person (a child's birth registration starts TE)."""
    death_date: Mapped[date | None] = mapped_column(Date)
    national_id_digest: Mapped[str | None] = mapped_column(Text, unique=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PersonMerge(Base):
    """A registry record merged into another (``registry.person.merged.v1``): every fact that still arrives for
    ``person_id`` belongs to ``survivor_id``, and ``person_id`` is never decided again (no entitlement, no card)."""

    __tablename__ = "person_merges"

    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    survivor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    merged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BeneficiaryStep(Base):
    """A decision on a beneficiary of the monthly allowance (approved, suspended, reinstated, terminated, changed)
    from ``effective`` (first day of the decision's month), in the registry's per-beneficiary ``sequence``."""

    __tablename__ = "beneficiary_steps"
    __table_args__ = (UniqueConstraint("beneficiary_id", "sequence"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    beneficiary_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    kind: Mapped[str] = mapped_column(Text)
    effective: Mapped[date] = mapped_column(Date)
    sequence: Mapped[int] = mapped_column(Integer)


class HouseholdMember(Base):
    """A person's membership of a household, from ``joined_on`` until ``left_on`` (None: still a member)."""

    __tablename__ = "household_members"

    household_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, index=True)
    joined_on: Mapped[date] = mapped_column(Date, primary_key=True)
    left_on: Mapped[date | None] = mapped_column(Date)


class HouseholdStatus(Base):
    """A household's poverty status from a day; a later event about the same day wins (``sequence``)."""

    __tablename__ = "household_statuses"

    household_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(Text)
    sequence: Mapped[int] = mapped_column(Integer)


class RecordedGroup(Base):
    """A ground recorded as data, not decided from events: a pupil (HS) or student (SV) status from ``valid_from`` to
    ``valid_to`` (inclusive; None: until withdrawn), with the supporting document. Never edited nor deleted: a record
    that no longer holds is withdrawn (who, when, why). One live record per person, group and first day."""

    __tablename__ = "recorded_groups"
    __table_args__ = (
        Index(
            "uq_recorded_groups_live",
            "person_id",
            "group_code",
            "valid_from",
            unique=True,
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    group_code: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    document: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    withdrawn_by: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdraw_reason: Mapped[str | None] = mapped_column(Text)


# --- decision and cards ------------------------------------------------------------------------------------


class PendingDecision(Base):
    """Persons whose facts changed since their entitlement was last decided. Inbox handlers add them in the event's
    transaction; the decision worker takes them in chunks (``FOR UPDATE SKIP LOCKED``) and decides set-wise."""

    __tablename__ = "pending_decisions"
    # The worker's order (oldest first): a take reads 2,000 entries of it, not the whole queue.
    __table_args__ = (Index("ix_pending_decisions_queued_at", "queued_at", "person_id"),)

    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, server_default="")
    """Why the card may end early: ``death`` or ``terminated`` (a recorded decision), else empty."""
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Entitlement(Base):
    """The decision: the one card group a person holds from ``valid_from`` up to ``valid_until`` (exclusive;
    None: open). Replaced as a whole for a person each time their facts change."""

    __tablename__ = "entitlements"

    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    valid_until: Mapped[date | None] = mapped_column(Date)
    group_code: Mapped[str] = mapped_column(Text)


class Card(AreaColumns, Base):
    """A health-insurance card as BHXH issued it (``code``: 15 characters; ``number``: the printed 10 digits),
    valid ``valid_from``–``valid_to`` (inclusive; None: until ended). At most one card per person is in force
    (``ended_on`` null), the partial unique index decides."""

    __tablename__ = "cards"
    __table_args__ = (
        Index("uq_cards_person_in_force", "person_id", unique=True, postgresql_where=text("ended_on IS NULL")),
        Index("ix_cards_area", "province_code", "district_code", "commune_code"),
        Index("ix_cards_person_valid_from", "person_id", "valid_from"),
        Index("ix_cards_list_item", "list_item_id", postgresql_where=text("list_item_id IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    group_code: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(Text, unique=True)
    number: Mapped[str] = mapped_column(Text)
    issuing_province: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)
    """Part-funded groups: the day the contribution was paid (its base salary is fixed then)."""
    ended_on: Mapped[date | None] = mapped_column(Date)
    """Set when the card stopped being the person's card in force (its last day is then ``valid_to``)."""
    end_reason: Mapped[str] = mapped_column(Text, server_default="")
    list_item_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    expiring_sent_on: Mapped[date | None] = mapped_column(Date)
    """The day ``insurance.card.expiring.v1`` was published for this card (once)."""
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CardHistory(Base):
    """Append-only (a trigger refuses UPDATE and DELETE): issued, renewed, changed_group, ended."""

    __tablename__ = "card_history"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    card_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(Text)
    group_code: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, server_default="")
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# --- the exchange with BHXH --------------------------------------------------------------------------------


class ExchangeList(Base):
    """The lists of one period (``YYYY-MM``) for BHXH: people to enrol, renew, change and end."""

    __tablename__ = "exchange_lists"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    period: Mapped[str] = mapped_column(Text, unique=True)
    built_on: Mapped[date] = mapped_column(Date)
    item_count: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ExchangeItem(AreaColumns, Base):
    """One person on a period's list: ``action`` enrol, renew, change or end, with the group and the validity
    requested; ``result`` pending, issued, ended or rejected once BHXH answered."""

    __tablename__ = "exchange_items"
    __table_args__ = (
        UniqueConstraint("list_id", "person_id"),
        Index("ix_exchange_items_area", "list_id", "province_code", "district_code", "commune_code", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    list_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    action: Mapped[str] = mapped_column(Text)
    group_code: Mapped[str] = mapped_column(Text)
    benefit_level: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    card_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """The card in force the item changes or ends (None for an enrolment)."""
    result: Mapped[str] = mapped_column(Text, server_default="pending")
    result_reason: Mapped[str] = mapped_column(Text, server_default="")


class ExchangeException(Base):
    """A BHXH result that was not applied: a person not on the list, a code of the wrong group, a second card for
    the same person, a result for an item already answered. An officer resolves it."""

    __tablename__ = "exchange_exceptions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    list_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default="open")
    resolution: Mapped[str] = mapped_column(Text, server_default="")
    resolved_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TeProposal(AreaColumns, Base):
    """A child under 6 without a card whom child protection proposed for a TE card
    (``child_protection.child.insurance_proposed.v1``). Identifiers, birth date and areas only: nothing says why the
    child was proposed (no case number). The first proposal stands; later ones count."""

    __tablename__ = "te_proposals"
    __table_args__ = (Index("ix_te_proposals_area", "province_code", "district_code", "commune_code"),)

    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    proposals: Mapped[int] = mapped_column(Integer, server_default="1")


class CoverageRead(Base):
    """Every coverage check: who asked, why, about which person (as the keyed digest, never the number)."""

    __tablename__ = "coverage_reads"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    client_id: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    national_id_digest: Mapped[str] = mapped_column(Text)
    on_day: Mapped[date] = mapped_column(Date)
    covered: Mapped[bool] = mapped_column(Boolean)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
