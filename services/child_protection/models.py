"""ORM models of the child protection service; every table lives in the ``child_protection`` schema.

Groups: **reference data** (the special-circumstance groups of Law on Children Art 10 with their legal basis,
the public holidays of the working-day calendar, the administrative units copied from the seed);
**children** with their effective-dated groups; **cases** with their step history, plans, support items,
separations and deadlines; **placements** (alternative care); and the **access** tables: the audit of reads,
the change feed of field devices, attachments.

Narrative fields — what happened, by whom, where the child is now, notes — are ``BYTEA`` columns holding
AES-GCM ciphertext (``common.crypto``; column names end in ``_enc``): a database dump does not reveal them and
no index or search touches them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common.areas import AreaColumns
from common.daily import job_runs_table
from common.db import schema_metadata
from common.events.tables import event_tables
from common.idempotency import Idempotency, idempotency_table

SCHEMA = "child_protection"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


EVENT_TABLES = event_tables(Base.metadata)
JOB_RUNS = job_runs_table(Base.metadata)
IDEMPOTENCY = Idempotency(idempotency_table(Base.metadata))

TZ = DateTime(timezone=True)


class _Area(AreaColumns):
    """Where a record belongs: the commune it was made with, its (old) district (empty by default) and province."""

    district_code: Mapped[str] = mapped_column(Text, server_default="")


# --- reference data --------------------------------------------------------------------------------------


class CircumstanceGroup(Base):
    """A group of children in special circumstances (Law on Children 2016 Art 10.1)."""

    __tablename__ = "circumstance_groups"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    name_vi: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)


class Holiday(Base):
    """A public holiday (no working day) of the deadline calendar, maintained by an administrator."""

    __tablename__ = "holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())


class Unit(Base):
    """The reports' reference for names and old districts: the pre-2025 communes of the seed (with district and
    province 84) and the 2025 communes they became (province 86, district empty, ``old_district_codes`` they came
    from). A reused code has both rows; a record joins the one of its province. Writes do not read it: they check
    communes with ``common/units.py``."""

    __tablename__ = "units"

    commune_code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    district_code: Mapped[str] = mapped_column(Text)
    province_code: Mapped[str] = mapped_column(Text, primary_key=True)
    old_district_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))


# --- children --------------------------------------------------------------------------------------------


class Child(_Area, Base):
    """A child (under 16) known to child protection; ``person_id`` once identified in the registry."""

    __tablename__ = "children"
    __table_args__ = (
        Index("uq_children_person_id", "person_id", unique=True, postgresql_where=text("person_id IS NOT NULL")),
        Index("ix_children_area", "province_code", "district_code", "commune_code"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    full_name: Mapped[str] = mapped_column(Text)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(Text)
    whereabouts_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Where the child is now (encrypted)."""
    has_insurance_card: Mapped[bool | None] = mapped_column(Boolean)
    insurance_proposed_at: Mapped[datetime | None] = mapped_column(TZ)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    updated_by: Mapped[str] = mapped_column(Text)


class ChildGroup(Base):
    """A child's membership of a circumstance group from ``valid_from`` to ``valid_to`` (open: still), with the
    document that evidences it. History is kept: ending a membership sets ``valid_to``."""

    __tablename__ = "child_groups"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
        Index("ix_child_groups_child_id", "child_id", "group_code", "valid_from"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    child_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("children.id"))
    group_code: Mapped[str] = mapped_column(Text, ForeignKey("circumstance_groups.code"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(Text)
    ended_evidence: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())


# --- cases -----------------------------------------------------------------------------------------------


class Case(_Area, Base):
    """A case under Decree 56/2017, from the report (Form 01) to its closing; ``status`` per ``rules.cases``."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_area_status", "province_code", "district_code", "commune_code", "status"),
        Index("ix_cases_child_id", "child_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    serial: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    """The case number is ``CP-`` and this, zero-padded (``CP-000042``)."""

    @property
    def case_number(self) -> str:
        return f"CP-{self.serial:06d}"

    child_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("children.id"))
    source: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    risk_level: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(TZ)
    report_enc: Mapped[bytes] = mapped_column(LargeBinary)
    """What happened (encrypted)."""
    perpetrator_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    """By whom (encrypted)."""
    reporter_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Who reported and how to reach them (encrypted)."""
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    opened_by: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    updated_by: Mapped[str] = mapped_column(Text)


class CaseStep(Base):
    """One step a case took (its history): the action, the statuses around it, the form, who and when."""

    __tablename__ = "case_steps"
    __table_args__ = (Index("ix_case_steps_case_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("cases.id"))
    action: Mapped[str] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    form: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(TZ)
    by: Mapped[str] = mapped_column(Text)
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)


class Plan(Base):
    """A support/intervention plan of a case (Forms 04/05): drafted by one client, approved by another."""

    __tablename__ = "plans"
    __table_args__ = (Index("ix_plans_case_id", "case_id", "number", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("cases.id"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text)
    """``draft``, ``approved``, ``rejected``."""
    content_enc: Mapped[bytes] = mapped_column(LargeBinary)
    services: Mapped[list[str]] = mapped_column(ARRAY(Text))
    drafted_by: Mapped[str] = mapped_column(Text)
    drafted_at: Mapped[datetime] = mapped_column(TZ)
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(TZ)


class SupportItem(_Area, Base):
    """Money support in a plan (scholarship, gift, surgery sponsorship): requested from payments once the plan
    is approved; ``status`` follows payments' outcome."""

    __tablename__ = "support_items"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_support_items_case_id", "case_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("cases.id"))
    plan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("plans.id"))
    kind: Mapped[str] = mapped_column(Text)
    funding: Mapped[str] = mapped_column(Text)
    """``provincial`` or ``charity``."""
    sponsor: Mapped[str] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text)
    """``proposed`` → ``requested`` (plan approved, sent to payments) → ``paid`` / ``unpaid`` / ``returned``;
    ``cancelled`` when its plan is rejected."""
    payment_line_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    outcome_on: Mapped[date | None] = mapped_column(Date)
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())


class Separation(Base):
    """A temporary separation of the child from the carer (Form 07): at most 15 days."""

    __tablename__ = "separations"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("cases.id"), index=True)
    decided_at: Mapped[datetime] = mapped_column(TZ)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_by: Mapped[str] = mapped_column(Text)


class Deadline(_Area, Base):
    """A time limit of a case or placement step: open until ``met_at``. The overdue and due-soon lists read
    only this table (one query each)."""

    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_open_due", "due_at", postgresql_where=text("met_at IS NULL")),
        Index("ix_deadlines_case_id", "case_id"),
        Index("ix_deadlines_placement_id", "placement_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("cases.id"))
    placement_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    child_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    step: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(TZ)
    due_at: Mapped[datetime] = mapped_column(TZ)
    met_at: Mapped[datetime | None] = mapped_column(TZ)


# --- alternative care ------------------------------------------------------------------------------------


class Placement(_Area, Base):
    """A child's alternative care (Law on Children Art 60–69): kinship, foster family, adoption or facility."""

    __tablename__ = "placements"
    __table_args__ = (Index("ix_placements_child_id", "child_id", "starts_on"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    child_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("children.id"))
    case_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(Text)
    carer_enc: Mapped[bytes] = mapped_column(LargeBinary)
    """The carer's name, address and contact (encrypted: where the child lives)."""
    carer_birth_date: Mapped[date | None] = mapped_column(Date)
    non_kin_reason: Mapped[str | None] = mapped_column(Text)
    siblings_in_care: Mapped[bool] = mapped_column(Boolean)
    siblings_together: Mapped[bool] = mapped_column(Boolean)
    siblings_reason: Mapped[str | None] = mapped_column(Text)
    child_consulted: Mapped[bool] = mapped_column(Boolean)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(Text)
    reports_made: Mapped[int] = mapped_column(Integer, server_default="0")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())


# --- access ----------------------------------------------------------------------------------------------


class ReadAudit(Base):
    """Every read of a child, case, placement or attachment: who, when, what, why."""

    __tablename__ = "read_audit"
    __table_args__ = (
        Index("ix_read_audit_record", "record_id", "at"),
        Index("ix_read_audit_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    client_id: Mapped[str] = mapped_column(Text)
    record_type: Mapped[str] = mapped_column(Text)
    """``child``, ``case``, ``placement``, ``attachment``, or ``case_list`` / ``deadline_list`` for lists."""
    record_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    detail: Mapped[str | None] = mapped_column(Text)
    """For a list: its filters."""
    purpose: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(Text)


class Change(_Area, Base):
    """One change to a child, case, placement or attachment, for the devices' change feed. Identifiers only.

    Writers insert without a ``position``; a reader of the feed gives the committed rows their positions, in
    order, under a lock (see ``changes/repository.py``), so positions become visible in order."""

    __tablename__ = "changes"
    __table_args__ = (
        Index("uq_changes_position", "position", unique=True),
        Index("ix_changes_unpositioned", "id", postgresql_where=text("position IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    position: Mapped[int | None] = mapped_column(BigInteger)
    entity: Mapped[str] = mapped_column(Text)
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    case_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    child_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    version: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())


class Attachment(Base):
    """A file of a case (photo of a form, a report), encrypted like the narrative fields."""

    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("cases.id"), index=True)
    content_type: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(Text)
    content_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())


class AlertRun(Base):
    """The daily deadline alerts published for a day (once per day, whichever replica runs first)."""

    __tablename__ = "alert_runs"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    overdue: Mapped[int] = mapped_column(Integer)
    due_soon: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
