"""ORM models of the registry service; every table lives in the ``registry`` schema."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
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

SCHEMA = "registry"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


EVENT_TABLES = event_tables(Base.metadata)
JOB_RUNS = job_runs_table(Base.metadata)
IDEMPOTENCY = Idempotency(idempotency_table(Base.metadata))


class _Area(AreaColumns):
    """Where a record is: a commune of ``admin_units`` (checked by a foreign key), its district and province."""

    commune_code: Mapped[str] = mapped_column(Text, ForeignKey("admin_units.code"))


class AdminUnit(Base):
    """An administrative unit (province, district, commune/ward/town) with the dates it existed."""

    __tablename__ = "admin_units"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    """province, district or commune"""
    kind: Mapped[str] = mapped_column(Text, server_default="")
    """As written in the official list: Tỉnh, Thành phố, Huyện, Thị xã, Phường, Xã, Thị trấn."""
    parent_code: Mapped[str | None] = mapped_column(Text, ForeignKey("admin_units.code"))
    province_code: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    """First day it no longer exists (None: still in force)."""


class UnitMapping(Base):
    """Old unit → the unit it became (2025 reorganisation); correctable data, not law."""

    __tablename__ = "unit_mappings"

    old_code: Mapped[str] = mapped_column(Text, ForeignKey("admin_units.code"), primary_key=True)
    new_code: Mapped[str] = mapped_column(Text, primary_key=True)
    new_name: Mapped[str] = mapped_column(Text)
    new_province_code: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)


class Person(_Area, Base):
    __tablename__ = "persons"
    __table_args__ = (
        Index("ix_persons_area", "province_code", "district_code", "commune_code"),
        # The keys of the duplicate rule (registry_0019): one probe per record checked, and name lookups.
        Index("ix_persons_identity", "name_key", "date_of_birth", "commune_code"),
        # Trigram index (pg_trgm, installed by the bootstrap in schema "extensions"): name searches are
        # LIKE '%…%' on name_key, which no b-tree serves.
        Index(
            "ix_persons_name_key_trgm",
            "name_key",
            postgresql_using="gin",
            postgresql_ops={"name_key": "extensions.gin_trgm_ops"},
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    commune_code: Mapped[str] = mapped_column(Text)
    """A commune of ``admin_units``: checked once per statement by triggers (migration registry_0018), not by a
    foreign key, whose check of each row was a quarter of the database's work on a bulk import. Same refusal
    (SQLSTATE 23503, constraint ``fk_persons_commune_code_admin_units``), on the unit's side too."""
    full_name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text)
    """The name without diacritics, lower-case, single-spaced: what searches match."""
    date_of_birth: Mapped[date] = mapped_column(Date, index=True)
    """Indexed for the daily job that looks for birthdays changing a beneficiary's level."""
    sex: Mapped[str] = mapped_column(Text)
    national_id: Mapped[str | None] = mapped_column(Text, unique=True)
    address_line: Mapped[str] = mapped_column(Text, server_default="")
    phone: Mapped[str | None] = mapped_column(Text)
    ethnicity: Mapped[str | None] = mapped_column(Text)
    disability_level: Mapped[str | None] = mapped_column(Text)
    disability_certified_on: Mapped[date | None] = mapped_column(Date)
    hiv_status: Mapped[str | None] = mapped_column(Text)
    """Sensitive: read only with registry:sensitive, and every read is audited."""
    death_date: Mapped[date | None] = mapped_column(Date)
    """Set once, by ``POST /persons/{id}/death`` or a ``record_death`` decision; never by a PATCH."""
    death_document: Mapped[str | None] = mapped_column(Text)
    """The document that reports the death (death registration extract, decision number)."""
    merged_into: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("persons.id"))
    """Set when an officer merged this record into another (the survivor); the record and its history stay."""
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)


class PossibleDuplicate(Base):
    """Two person records that may be the same person (same folded name and date of birth and commune, or same
    folded name and birth year in one household), flagged when one of them was registered, imported or joined a
    household. Never merged automatically: an officer merges or dismisses the pair (``status``)."""

    __tablename__ = "possible_duplicates"
    __table_args__ = (
        UniqueConstraint("person_id", "other_id"),
        Index("ix_possible_duplicates_other", "other_id"),
        Index("ix_possible_duplicates_page", "status", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("persons.id"))
    """The smaller id of the pair (a pair is flagged once, whichever record came second)."""
    other_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("persons.id"))
    rules: Mapped[list[str]] = mapped_column(ARRAY(Text))
    """name_birth_date_commune and/or name_birth_year_household"""
    status: Mapped[str] = mapped_column(Text, server_default="open")
    """open, dismissed, merged, or superseded (one of the two was merged with a third record)"""
    survivor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    note: Mapped[str] = mapped_column(Text, server_default="")
    """Why it was dismissed or merged."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(Text)


class ChangeRecord(Base):
    """Every change to a registry record: who, when, why, before and after."""

    __tablename__ = "change_history"
    __table_args__ = (Index("ix_change_history_record", "record_type", "record_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    record_type: Mapped[str] = mapped_column(Text)
    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    changed_by: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, server_default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any]] = mapped_column(JSONB)


class SensitiveRead(Base):
    """Audit of reads of sensitive fields: who, when, which record, which fields, for what purpose."""

    __tablename__ = "sensitive_reads"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    client_id: Mapped[str] = mapped_column(Text)
    record_type: Mapped[str] = mapped_column(Text)
    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    fields: Mapped[list[str]] = mapped_column(ARRAY(Text))
    purpose: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(Text)


class StandardLevelRow(Base):
    """Mức chuẩn trợ giúp xã hội in force from a month (effective-dated; never a constant in code)."""

    __tablename__ = "standard_levels"

    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    """First day of the month it applies from."""
    amount: Mapped[int] = mapped_column(BigInteger)
    legal_basis: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    recorded_by: Mapped[str] = mapped_column(Text)


class CategoryRuleRow(Base):
    """A beneficiary category's coefficient rule from a month (bands by age / disability, legal basis)."""

    __tablename__ = "category_rules"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    rule: Mapped[dict[str, Any]] = mapped_column(JSONB)
    legal_basis: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    recorded_by: Mapped[str] = mapped_column(Text)


class Household(_Area, Base):
    """A household (hộ gia đình): its members, poverty status and address history hang off it."""

    __tablename__ = "households"
    __table_args__ = (Index("ix_households_area", "province_code", "district_code", "commune_code"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    code: Mapped[str | None] = mapped_column(Text, unique=True)
    commune_code: Mapped[str] = mapped_column(Text, ForeignKey("admin_units.code"))
    """The current commune; earlier ones are in household_addresses."""
    address_line: Mapped[str] = mapped_column(Text, server_default="")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)


class HouseholdMember(Base):
    """A person's membership of a household, from ``joined_on`` until ``left_on`` (None: still a member).

    A person is in at most one household at a time: the partial unique index on the open memberships
    decides between concurrent writers."""

    __tablename__ = "household_members"
    __table_args__ = (
        Index("ix_household_members_household", "household_id"),
        # Every membership of a person, past ones too (the children of a single parent, co-members to refresh).
        Index("ix_household_members_person", "person_id"),
        Index(
            "uq_household_members_current_person", "person_id", unique=True, postgresql_where=text("left_on IS NULL")
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    household_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("households.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("persons.id"))
    relationship: Mapped[str] = mapped_column(Text)
    """head, spouse, child, parent, grandchild, sibling or other (relationship to the head)."""
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class PovertyStatus(Base):
    """A household's poverty status from a date, with the deciding document. Never updated: a change
    adds a row; the status in force on a day is the row with the latest ``valid_from`` on or before it."""

    __tablename__ = "poverty_statuses"
    __table_args__ = (Index("ix_poverty_statuses_household", "household_id", "valid_from"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    household_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("households.id"))
    status: Mapped[str] = mapped_column(Text)
    """poor, near_poor, average_living_farming or none"""
    valid_from: Mapped[date] = mapped_column(Date)
    document: Mapped[str] = mapped_column(Text)
    """The deciding document (number and date), e.g. "Quyết định 123/QĐ-UBND ngày 15/01/2026"."""
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    recorded_by: Mapped[str] = mapped_column(Text)


class HouseholdAddress(_Area, Base):
    """Where a household lived: one row per commune, ``valid_to`` None for the current one."""

    __tablename__ = "household_addresses"
    __table_args__ = (Index("ix_household_addresses_household", "household_id", "valid_from"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    household_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("households.id"))
    address_line: Mapped[str] = mapped_column(Text, server_default="")
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    """First day the household no longer lived there (None: current address)."""


class Application(Base):
    """An application for the monthly social allowance: the categories claimed, then approved or rejected.

    Maker-checker: ``decided_by`` must differ from ``submitted_by``."""

    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_person", "person_id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("persons.id"))
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text))
    """Category codes (category_rules.code), e.g. ["5.5a"]."""
    status: Mapped[str] = mapped_column(Text, server_default="submitted")
    """submitted, approved or rejected"""
    note: Mapped[str] = mapped_column(Text, server_default="")
    submitted_by: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)
    """The approval decision number, or the reason of a rejection."""


class BeneficiaryRow(Base):
    """A person receiving the monthly social allowance. Its facts for the engine come from its decisions."""

    __tablename__ = "beneficiaries"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("persons.id"), unique=True)
    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("applications.id"))
    status: Mapped[str] = mapped_column(Text, server_default="active")
    """active, suspended, terminated or deceased"""
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Decision(Base):
    """A decision about a beneficiary (append-only): approval, category change, suspension, reinstatement,
    termination or recorded death, effective from the first day of ``effective_month``."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_beneficiary", "beneficiary_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    beneficiary_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("beneficiaries.id"))
    kind: Mapped[str] = mapped_column(Text)
    """approve, change_category, suspend, reinstate, terminate or record_death"""
    number: Mapped[str] = mapped_column(Text, server_default="")
    signed_on: Mapped[date | None] = mapped_column(Date)
    authority: Mapped[str] = mapped_column(Text, server_default="")
    """Who decided (data, not a fixed level: district chairman before 2025-07-01, commune after)."""
    effective_month: Mapped[date] = mapped_column(Date)
    """First day of the month the decision takes effect."""
    categories: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    reason: Mapped[str] = mapped_column(Text, server_default="")
    death_date: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LevelChange(Base):
    """An age-driven level change published for a beneficiary and month (``registry.beneficiary.level_changed.v1``).

    The primary key makes the daily job publish each change once, however often and on however many replicas it
    runs: a run claims its rows with ``ON CONFLICT DO NOTHING`` and publishes only the rows it claimed."""

    __tablename__ = "level_changes"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("beneficiaries.id"), primary_key=True
    )
    effective_month: Mapped[date] = mapped_column(Date, primary_key=True)
    """First day of the month the new level applies from."""
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    category: Mapped[str | None] = mapped_column(Text)
    """The category paid from that month (the first line when several are paid); None: nothing is paid."""
    coefficient: Mapped[str | None] = mapped_column(Text)
    run_on: Mapped[date] = mapped_column(Date)
    """The day of the run that published it."""
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Facility(_Area, Base):
    """A social-assistance facility (cơ sở trợ giúp xã hội) where persons live under residential care (Art 25)."""

    __tablename__ = "facilities"
    __table_args__ = (Index("ix_facilities_area", "province_code", "district_code", "commune_code"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(Integer)
    """Most residents at a time."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)


class Residency(Base):
    """A person's stay in a facility, from ``admitted_on`` until ``discharged_on`` (None: still resident).

    A person is resident in at most one facility at a time: the partial unique index on the open residencies
    decides between concurrent writers."""

    __tablename__ = "residencies"
    __table_args__ = (
        Index("ix_residencies_facility", "facility_id", "admitted_on"),
        Index("ix_residencies_person", "person_id"),
        Index(
            "uq_residencies_current_person", "person_id", unique=True, postgresql_where=text("discharged_on IS NULL")
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("facilities.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("persons.id"))
    admitted_on: Mapped[date] = mapped_column(Date)
    discharged_on: Mapped[date | None] = mapped_column(Date)
    """Day the person left (None: still resident)."""
    category: Mapped[str] = mapped_column(Text)
    """elderly, severe_mental_illness, orphan, disability or other"""
    reason: Mapped[str] = mapped_column(Text, server_default="")
    admitted_by: Mapped[str] = mapped_column(Text)
    discharged_by: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Donation(Base):
    """What a donor gave a facility, in cash or in kind, with its value in VND; ``for_person_id`` when it was
    raised for one resident (a child's treatment)."""

    __tablename__ = "donations"
    __table_args__ = (
        CheckConstraint("form IN ('cash', 'in_kind')", name="form_known"),
        CheckConstraint("value > 0", name="value_positive"),
        Index("ix_donations_facility", "facility_id", "received_on", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("facilities.id"))
    donor: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    form: Mapped[str] = mapped_column(Text)
    value: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text)
    for_person_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("persons.id"))
    document: Mapped[str] = mapped_column(Text, server_default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    recorded_by: Mapped[str] = mapped_column(Text)


class ImportRecord(Base):
    """One bulk import (``POST /imports``): what file, by whom, and what became of its rows.

    ``problems`` keeps the first problems found (see ``imports.service.PROBLEMS_KEPT``); ``problems_total``
    counts them all."""

    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_created_by", "created_by", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    """persons, households, applications or study_periods"""
    format: Mapped[str] = mapped_column(Text)
    """csv or xlsx"""
    file_sha256: Mapped[str] = mapped_column(Text, index=True)
    rows: Mapped[int] = mapped_column(Integer)
    imported: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    possible_duplicates: Mapped[int] = mapped_column(Integer, server_default="0")
    """Imported records flagged as possible duplicates of others (listed at /persons/possible-duplicates)."""
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    problems_total: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)


class EntitlementSchedule(Base):
    """The entitlement schedule last published for a beneficiary (``registry.beneficiary.entitlements_changed``):
    its version and fingerprint, so that an unchanged schedule is never re-sent."""

    __tablename__ = "entitlement_schedules"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("beneficiaries.id"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StudyPeriod(Base):
    """A period a person studies (school, vocational training or a first university degree), by whole months, with the
    document that certifies it. Feeds 5.2 (a 5.1 child who turns 16 while studying) and the children a 5.4 parent is
    paid for (16-22 while studying). Corrected by new versions (change history); a withdrawn period (recorded in
    error) stays, with ``withdrawn_at``, and counts no more."""

    __tablename__ = "study_periods"
    __table_args__ = (Index("ix_study_periods_person", "person_id", "from_month"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(Text)
    """school, vocational or university (a first degree)"""
    from_month: Mapped[date] = mapped_column(Date)
    """First day of the first month studied."""
    to_month: Mapped[date | None] = mapped_column(Date)
    """First day of the last month studied (None: still studying)."""
    institution: Mapped[str] = mapped_column(Text, server_default="")
    document: Mapped[str] = mapped_column(Text)
    """The certifying document (school's confirmation, enrolment decision: number and date)."""
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)


class ApplicationDraft(Base):
    """A referral from child protection (``child_protection.child.allowance_referred.v1``): a child identified in a
    case is proposed for the monthly allowance under ``category`` (5.1 or 5.3), with the case number as the source.
    Not an application yet: an officer submits it (it becomes an application that another client approves or
    rejects, the usual maker-checker) or dismisses it with a reason. One draft per case, person and category: a
    repeated referral changes nothing."""

    __tablename__ = "application_drafts"
    __table_args__ = (
        UniqueConstraint("case_id", "person_id", "category", name="uq_application_drafts_referral"),
        CheckConstraint("status IN ('draft', 'submitted', 'dismissed')", name="status_known"),
        Index("ix_application_drafts_open", "received_at", postgresql_where=text("status = 'draft'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("persons.id"))
    category: Mapped[str] = mapped_column(Text)
    case_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    case_number: Mapped[str] = mapped_column(Text)
    """The source: child protection's case file (``CP-000042``)."""
    referred_by: Mapped[str] = mapped_column(Text)
    """The child-protection client that referred the child."""
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    status: Mapped[str] = mapped_column(Text, server_default="draft")
    application_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("applications.id"))
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
