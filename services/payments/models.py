"""ORM models of the payments service; every table lives in the ``payments`` schema.

Three groups: the **projection** of what payments needs from the registry (beneficiaries with their
entitlement periods, households with their poverty statuses), written only by inbox handlers; the
**programmes** with their effective-dated parameters and one-off payments; and **payrolls** (lines and
the service months each line settles), the append-only **ledger** and the per-recipient **settlements**
that let a payroll skip the arrears scan for recipients whose schedule did not change; and **postal disbursement**:
batches per pay point, the results the post office reports, the unpaid amounts a payroll carries, reconciliation
exceptions and the three-unpaid-months alerts.

Business months are ``Date`` columns holding the first day of the month; money is ``BIGINT`` VND.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

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

SCHEMA = "payments"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


EVENT_TABLES = event_tables(Base.metadata)
JOB_RUNS = job_runs_table(Base.metadata)
IDEMPOTENCY = Idempotency(idempotency_table(Base.metadata))


# --- projection (from registry events) -------------------------------------------------------------------


class Beneficiary(AreaColumns, Base):
    """The latest facts about a registry beneficiary, from ``registry.beneficiary.entitlements_changed.v1``."""

    __tablename__ = "beneficiaries"
    __table_args__ = (Index("ix_beneficiaries_area", "province_code", "district_code", "commune_code"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    version: Mapped[int] = mapped_column(Integer)
    """The registry's version of the schedule: an event with a version not above this one is ignored."""
    status: Mapped[str] = mapped_column(Text)
    full_name: Mapped[str] = mapped_column(Text)
    national_id: Mapped[str | None] = mapped_column(Text)
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(Text)
    death_date: Mapped[date | None] = mapped_column(Date)
    household_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    computed_from: Mapped[date] = mapped_column(Date)
    computed_to: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class EntitlementPeriod(Base):
    """Months of equal payment in a beneficiary's schedule; a month in no period is owed nothing."""

    __tablename__ = "entitlement_periods"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("beneficiaries.id", ondelete="CASCADE"), primary_key=True
    )
    first_month: Mapped[date] = mapped_column(Date, primary_key=True)
    last_month: Mapped[date | None] = mapped_column(Date)
    """None: open-ended."""
    amount: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str] = mapped_column(Text)
    coefficient: Mapped[Decimal] = mapped_column(Numeric)
    standard_level: Mapped[int] = mapped_column(BigInteger)
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text))


class Household(AreaColumns, Base):
    """A registry household as far as electricity support needs it (from poverty-status events)."""

    __tablename__ = "households"
    __table_args__ = (Index("ix_households_area", "province_code", "district_code", "commune_code"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    """Raised by every status recorded: a household whose version moved is re-scanned for arrears."""
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PovertyStatus(Base):
    """A household's poverty status from a day; the one in force on the first day of a month counts."""

    __tablename__ = "poverty_statuses"

    household_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)
    sequence: Mapped[int] = mapped_column(Integer)
    """The event's sequence: of two statuses from the same day, the later event wins."""


class ElectricityUse(AreaColumns, Base):
    """An officer's declaration that a household uses at most 50 kWh a month (or is off the grid) from a day:
    ``low_use`` in force on the first day of a month makes a household with a member on the monthly allowance a
    social-policy household for electricity support (rules.md §3). Officer data, not projection: a rebuild of the
    projection keeps it (no foreign key to ``households``), and it carries the household's area when declared."""

    __tablename__ = "electricity_use"

    household_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    low_use: Mapped[bool] = mapped_column(Boolean)
    document: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    recorded_by: Mapped[str] = mapped_column(Text)


# --- programmes ------------------------------------------------------------------------------------------


class Programme(Base):
    """A payment programme. ``kind`` says where its payroll lines come from: ``schedule`` (the registry's
    entitlement schedules), ``electricity`` (poor and social-policy households), ``artisans`` (artisan enrolments),
    ``foster`` (foster placements from child protection) or ``one_off`` (one-off payments)."""

    __tablename__ = "programmes"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    frequency: Mapped[str] = mapped_column(Text)
    """monthly or quarterly: the shape of its payroll periods."""
    accounting_from: Mapped[date | None] = mapped_column(Date)
    """Months before it were paid outside this system and are never settled as arrears or recoveries.
    None: from the first period this system generated a payroll for."""
    accounting_basis: Mapped[str] = mapped_column(Text, server_default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str] = mapped_column(Text, server_default="migration")
    parameters_version: Mapped[int] = mapped_column(Integer, server_default="1")
    """Raised by every parameter recorded: a payroll compares it with the one its predecessor used."""


class ProgrammeParameter(Base):
    """An effective-dated value of a programme (e.g. electricity VND per household per month)."""

    __tablename__ = "programme_parameters"

    programme: Mapped[str] = mapped_column(Text, ForeignKey("programmes.code"), primary_key=True)
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric)
    legal_basis: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    recorded_by: Mapped[str] = mapped_column(Text)


class OneOffPayment(AreaColumns, Base):
    """A one-off payment (funeral support, longevity gift, emergency relief, support requested by another
    service), paid in the first payroll of its programme from ``period_from`` on."""

    __tablename__ = "one_off_payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_one_off_payments_pending", "programme", postgresql_where=text("payroll_id IS NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    programme: Mapped[str] = mapped_column(Text, ForeignKey("programmes.code"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    beneficiary_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recipient_name: Mapped[str] = mapped_column(Text)
    national_id: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text)
    period_from: Mapped[date | None] = mapped_column(Date)
    payroll_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """The approved payroll that issued it (None: still waiting for one)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)


class LongevityGift(AreaColumns, Base):
    """A longevity gift (Law on the Elderly Art. 21) to a person who reaches 90 or 100 in ``year``: one per person
    and year. Its amounts are the programme's parameters in force in the gift's month. Delivered ``post_office``
    (the cash is a one-off payment of the ``longevity`` programme, paid by its payroll) or ``in_kind`` (handed over
    by the commune: recorded, never paid by the system)."""

    __tablename__ = "longevity_gifts"
    __table_args__ = (
        CheckConstraint("age IN (90, 100)", name="age_known"),
        CheckConstraint("delivery IN ('post_office', 'in_kind')", name="delivery_known"),
        CheckConstraint("cash >= 0 AND (in_kind_value IS NULL OR in_kind_value >= 0)", name="amounts_not_negative"),
        UniqueConstraint("person_id", "year"),  # one gift per person and year
        Index("ix_longevity_gifts_year", "year", "commune_code", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    year: Mapped[int] = mapped_column(Integer)
    age: Mapped[int] = mapped_column(Integer)
    recipient_name: Mapped[str] = mapped_column(Text)
    national_id: Mapped[str | None] = mapped_column(Text)
    date_of_birth: Mapped[date] = mapped_column(Date)
    gift_date: Mapped[date] = mapped_column(Date)
    delivery: Mapped[str] = mapped_column(Text)
    cash: Mapped[int] = mapped_column(BigInteger)
    """The cash part, VND (parameter ``gift_<age>_cash``)."""
    in_kind_value: Mapped[int | None] = mapped_column(BigInteger)
    """The value of the goods given (parameter ``gift_<age>_in_kind``); None when the province records none."""
    one_off_payment_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("one_off_payments.id"))
    decision: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)


class EmergencyRelief(AreaColumns, Base):
    """Emergency relief (cứu trợ đột xuất) decided by an officer for a disaster victim or household, approved by
    another client; on approval the cash becomes a one-off payment of the ``emergency`` programme (paid through the
    post office by its payroll). Food relief is rice given in kind: recorded, never paid by the system."""

    __tablename__ = "emergency_reliefs"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('funeral', 'injury', 'house_destroyed', 'house_damaged', 'relocation', 'food')", name="kind_known"
        ),
        CheckConstraint("status IN ('decided', 'approved')", name="status_known"),
        CheckConstraint("amount >= 0 AND rice_kg >= 0", name="amounts_not_negative"),
        Index("ix_emergency_reliefs_decided", "decided_on", "commune_code", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    person_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    household_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recipient_name: Mapped[str] = mapped_column(Text)
    national_id: Mapped[str | None] = mapped_column(Text)
    disaster: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    """Cash, VND (0 for food relief)."""
    rice_kg: Mapped[int] = mapped_column(Integer)
    """Food relief: kg of rice given in kind (persons × months × the parameter), else 0."""
    persons: Mapped[int | None] = mapped_column(Integer)
    months: Mapped[int | None] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(Text)
    decided_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text)
    one_off_payment_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("one_off_payments.id"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(Text)


class ArtisanEnrolment(AreaColumns, Base):
    """A people's or meritorious artisan paid a monthly allowance (Decree 109/2015/NĐ-CP) from ``from_month``
    through ``to_month`` (open-ended while None): the source of the ``artisans`` payroll, one recipient per
    enrolment. ``version`` moves when the enrolment is ended, so the next payroll compares its past months again
    (a retroactive end is recovered)."""

    __tablename__ = "artisan_enrolments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("to_month IS NULL OR to_month >= from_month", name="months_ordered"),
        Index("ix_artisan_enrolments_area", "province_code", "district_code", "commune_code"),
        Index("ix_artisan_enrolments_page", "commune_code", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    """The registry person (an artisan has at most one enrolment in force in any month)."""
    recipient_name: Mapped[str] = mapped_column(Text)
    national_id: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    """nghe_nhan_nhan_dan (people's artisan) or nghe_nhan_uu_tu (meritorious artisan)"""
    amount: Mapped[int] = mapped_column(BigInteger)
    """VND per month: one of the decree's amounts (1,000,000, 850,000 or 700,000)."""
    from_month: Mapped[date] = mapped_column(Date)
    to_month: Mapped[date | None] = mapped_column(Date)
    legal_basis: Mapped[str] = mapped_column(Text)
    """The decision granting the allowance."""
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str | None] = mapped_column(Text)
    end_basis: Mapped[str | None] = mapped_column(Text)


class FosterPlacement(AreaColumns, Base):
    """A child-protection placement with a foster family paid monthly to the carer (Decree 20/2021/NĐ-CP Art 20):
    the source of the ``foster`` payroll, one recipient per placement (its id is the placement's). Written only by
    the inbox handlers of ``child_protection.placement.recorded.v1`` / ``ended.v1``; the months and the rate change
    come from ``rules/foster.py``. No name travels in events: the line names the carer by the case file (or the
    placement) and the pay point pays the carer named in the placement decision. ``version`` moves with every change
    (an end, a correction), so the next payroll compares the past months again (a retroactive end is recovered)."""

    __tablename__ = "foster_placements"
    __table_args__ = (Index("ix_foster_placements_area", "province_code", "district_code", "commune_code"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    child_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    person_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """The child's registry person, when identified."""
    case_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    case_number: Mapped[str | None] = mapped_column(Text)
    foster_allowance: Mapped[bool] = mapped_column(Boolean)
    """Child protection's answer: a foster family caring for a child of category 5.1. False: never paid."""
    child_birth_date: Mapped[date | None] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    first_month: Mapped[date | None] = mapped_column(Date)
    last_month: Mapped[date | None] = mapped_column(Date)
    rate_change_month: Mapped[date | None] = mapped_column(Date)
    """From this month 1.5 × the standard level, before it 2.5 ×. The three months are None when nothing is paid."""
    recipient_name: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# --- payrolls, ledger ------------------------------------------------------------------------------------


class Payroll(Base):
    """One payroll per programme and period; its control totals are the sums of its lines."""

    __tablename__ = "payrolls"
    __table_args__ = (UniqueConstraint("programme", "period"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    programme: Mapped[str] = mapped_column(Text, ForeignKey("programmes.code"))
    period: Mapped[str] = mapped_column(Text)
    period_first: Mapped[date] = mapped_column(Date)
    period_last: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(Text)
    """generated → reviewed → approved → locked"""
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    accounting_from: Mapped[date] = mapped_column(Date)
    """The first month this payroll settled (arrears and recoveries start there)."""
    parameters_version: Mapped[int] = mapped_column(Integer)
    """The programme's parameters_version it was computed with: when the next payroll finds another one (a value
    recorded since, maybe retroactive), every recipient's months are compared again, not only the new ones."""
    line_count: Mapped[int] = mapped_column(Integer, server_default="0")
    amount: Mapped[int] = mapped_column(BigInteger, server_default="0")
    regular: Mapped[int] = mapped_column(BigInteger, server_default="0")
    arrears: Mapped[int] = mapped_column(BigInteger, server_default="0")
    recovery: Mapped[int] = mapped_column(BigInteger, server_default="0")
    carried: Mapped[int] = mapped_column(BigInteger, server_default="0")
    to_recover: Mapped[int] = mapped_column(BigInteger, server_default="0")
    to_recover_offset: Mapped[int] = mapped_column(BigInteger, server_default="0")
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    generated_by: Mapped[str] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(Text)
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_by: Mapped[str | None] = mapped_column(Text)


class PayrollLine(AreaColumns, Base):
    """What one recipient is paid by a payroll: total = max(0, regular + arrears + recovery + carried) −
    to_recover_offset (the part of the recipient's open to_recover balance the line absorbs)."""

    __tablename__ = "payroll_lines"
    __table_args__ = (
        UniqueConstraint("payroll_id", "recipient_id"),
        Index("ix_payroll_lines_page", "payroll_id", "commune_code", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid())
    payroll_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    """Always a payroll's: checked once per statement by triggers (payments_0014), not a foreign key checked row by
    row; deleting a payroll deletes its lines."""
    recipient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    """The beneficiary, the household (electricity) or the one-off payment the line pays."""
    beneficiary_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    person_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    household_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    one_off_payment_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recipient_name: Mapped[str | None] = mapped_column(Text)
    national_id: Mapped[str | None] = mapped_column(Text)
    schedule_version: Mapped[int | None] = mapped_column(Integer)
    """The projection version the line was computed from (recorded as settled on approval)."""
    regular: Mapped[int] = mapped_column(BigInteger)
    arrears: Mapped[int] = mapped_column(BigInteger)
    recovery: Mapped[int] = mapped_column(BigInteger)
    carried: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    to_recover: Mapped[int] = mapped_column(BigInteger)
    to_recover_offset: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """What the line withholds against the recipient's open to_recover balance (approval writes it to the ledger as
    a negative ``to_recover_offset``, so the claim shrinks by exactly that)."""


class PayrollLineMonth(Base):
    """Which service month a line settles, and how: amount = entitled − allocated before this payroll."""

    __tablename__ = "payroll_line_months"

    payroll_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("payrolls.id", ondelete="CASCADE"), primary_key=True
    )
    recipient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    service_month: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    """regular (a month of the period), arrears (a past month owed more) or recovery (paid too much)"""
    entitled: Mapped[int] = mapped_column(BigInteger)
    allocated: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)


class LedgerEntry(AreaColumns, Base):
    """Append-only (a trigger refuses UPDATE and DELETE): every amount issued, and later paid, carried,
    returned and recovered, per payroll line and service month."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_allocation", "programme", "recipient_id", "service_month"),
        Index("ix_ledger_entries_period", "period_first"),
        Index(
            "ix_ledger_entries_to_recover",
            "programme",
            "recipient_id",
            postgresql_where=text("kind IN ('to_recover', 'to_recover_offset')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    programme: Mapped[str] = mapped_column(Text)
    payroll_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    period: Mapped[str] = mapped_column(Text)
    period_first: Mapped[date] = mapped_column(Date)
    line_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    recipient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    service_month: Mapped[date | None] = mapped_column(Date)
    """None for amounts that belong to the line, not a month (to_recover, to_recover_offset)."""
    kind: Mapped[str] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Settlement(Base):
    """Per programme and recipient: every month up to ``settled_through`` is settled against the schedule of
    ``settled_version``. While the projection still has that version, the next payroll looks only at later
    months; when it moved, every month from the programme's accounting month is compared again.

    Every approval updates each recipient's row: pages are half filled (``fillfactor`` 50) so the new version fits on
    the same page and the primary key is not touched (a HOT update; set by payments_0014)."""

    __tablename__ = "settlements"

    programme: Mapped[str] = mapped_column(Text, primary_key=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    settled_version: Mapped[int] = mapped_column(Integer)
    settled_through: Mapped[date] = mapped_column(Date)
    payroll_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


# --- postal disbursement, reconciliation -----------------------------------------------------------------


class Batch(AreaColumns, Base):
    """The lines of an approved payroll paid at one pay point (a commune), for the payment organisation (the
    post office). Split set-based on approval; only lines with a total above 0 are sent. The counters and the
    fee follow the results reported (recomputed from ``line_results`` after every report)."""

    __tablename__ = "batches"
    __table_args__ = (
        UniqueConstraint("payroll_id", "commune_code"),
        Index("ix_batches_page", "commune_code", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid())
    payroll_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("payrolls.id"))
    programme: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(Text)
    period_first: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text, server_default="ready")
    """ready (no result yet) → reporting (some lines reported) → complete (every line reported)"""
    deadline: Mapped[date] = mapped_column(Date)
    """Results are due by this day (rules.md §9: the 20th of the payroll's month); later, a line without a result is
    a ``missing_result`` exception."""
    line_count: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_count: Mapped[int] = mapped_column(Integer, server_default="0")
    paid_amount: Mapped[int] = mapped_column(BigInteger, server_default="0")
    unpaid_count: Mapped[int] = mapped_column(Integer, server_default="0")
    unpaid_amount: Mapped[int] = mapped_column(BigInteger, server_default="0")
    returned_count: Mapped[int] = mapped_column(Integer, server_default="0")
    returned_amount: Mapped[int] = mapped_column(BigInteger, server_default="0")
    fee_percent: Mapped[Decimal] = mapped_column(Numeric, server_default="0")
    """The programme's ``postal_fee_percent`` in force in the payroll's first month (0 when none is recorded)."""
    fee: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """round(paid_amount × fee_percent / 100), half up, to whole VND: computed on the batch's total, not per line."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LineResult(Base):
    """What the payment organisation reported for a line: the first report stands (a different second report is a
    ``reported_twice`` exception, an identical one changes nothing)."""

    __tablename__ = "line_results"
    __table_args__ = (
        CheckConstraint("outcome IN ('paid', 'unpaid', 'returned')", name="outcome_known"),
        Index("ix_line_results_recipient", "programme", "recipient_id", "period_first"),
        Index("ix_line_results_batch", "batch_id"),
        Index(
            "ix_line_results_to_carry",
            "programme",
            postgresql_where=text("outcome = 'unpaid' AND carried_payroll_id IS NULL"),
        ),
    )

    line_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("payroll_lines.id"), primary_key=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("batches.id"))
    payroll_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    programme: Mapped[str] = mapped_column(Text)
    period_first: Mapped[date] = mapped_column(Date)
    recipient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    line_total: Mapped[int] = mapped_column(BigInteger)
    """The line's total when reported (what the post office was to pay)."""
    outcome: Mapped[str] = mapped_column(Text)
    """paid, unpaid (carried to the next payroll) or returned (the money goes back to the department)"""
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_to: Mapped[str | None] = mapped_column(Text)
    """beneficiary or proxy"""
    proxy_name: Mapped[str | None] = mapped_column(Text)
    receipt_number: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[int | None] = mapped_column(BigInteger)
    """The amount paid (paid only)."""
    reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    reported_by: Mapped[str] = mapped_column(Text)
    carried_payroll_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """unpaid only: the approved payroll that carried the amount (None: still to carry)."""
    held_payroll_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """unpaid only: the approved payroll that held the amount because its recipient was suspended (docs/rules.md
    §2: a suspended beneficiary gets no line). A held amount is carried by the first line after reinstatement
    (``carried_payroll_id``) or returned to the budget on termination (``returned_payroll_id``)."""
    returned_payroll_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """unpaid and held only: the approved payroll that returned the held amount to the budget (the recipient was
    terminated, or died, while it was held)."""


class PayrollCarry(Base):
    """An unpaid amount a payroll carries (its line's ``carried``); written by generation, marked on the result when
    the payroll is approved, so an unpaid amount is carried once."""

    __tablename__ = "payroll_carries"

    payroll_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("payrolls.id", ondelete="CASCADE"), primary_key=True
    )
    from_line_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    amount: Mapped[int] = mapped_column(BigInteger)


class DisbursementException(AreaColumns, Base):
    """Something reconciliation found that an officer must look at; resolved with a note, never fixed silently.

    Kinds: ``amount_mismatch`` (paid amount ≠ the line's total), ``reported_twice`` (a second, different result for
    a line), ``unknown_line`` (a result for a line not in the batch), ``missing_result`` (no result by the
    batch's deadline)."""

    __tablename__ = "disbursement_exceptions"
    __table_args__ = (
        Index("ix_disbursement_exceptions_page", "status", "created_at", "id"),
        Index(
            "uq_disbursement_exceptions_missing",
            "line_id",
            unique=True,
            postgresql_where=text("kind = 'missing_result'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid())
    kind: Mapped[str] = mapped_column(Text)
    batch_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("batches.id"))
    payroll_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    line_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """The line concerned (for ``unknown_line``: the id the partner sent, which is no line of the batch)."""
    expected: Mapped[int | None] = mapped_column(BigInteger)
    reported: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    """What was reported (and, for ``reported_twice``, what stands)."""
    status: Mapped[str] = mapped_column(Text, server_default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(Text)
    resolution_note: Mapped[str | None] = mapped_column(Text)


class UnpaidAlert(Base):
    """Three consecutive months not received (unpaid or returned) ending with ``last_period``: published once."""

    __tablename__ = "unpaid_alerts"

    programme: Mapped[str] = mapped_column(Text, primary_key=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    last_period: Mapped[date] = mapped_column(Date, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
