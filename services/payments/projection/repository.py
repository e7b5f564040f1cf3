"""All SQL of the projection: applying registry events to the payments copy of beneficiaries and households."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import Beneficiary, EntitlementPeriod
from ..rules.periods import parse_month
from .schemas import EntitlementsChangedIn, PersonMergedIn, PovertyStatusChangedIn

_UPSERT_BENEFICIARY = text("""
    INSERT INTO payments.beneficiaries AS b (id, person_id, version, status, full_name, national_id, date_of_birth,
        sex, death_date, commune_code, district_code, province_code, household_id, computed_from, computed_to)
    VALUES (:id, :person_id, :version, :status, :full_name, :national_id, :date_of_birth, :sex, :death_date,
        :commune_code, :district_code, :province_code, :household_id, :computed_from, :computed_to)
    ON CONFLICT (id) DO UPDATE SET
        person_id = EXCLUDED.person_id, version = EXCLUDED.version, status = EXCLUDED.status,
        full_name = EXCLUDED.full_name, national_id = EXCLUDED.national_id, date_of_birth = EXCLUDED.date_of_birth,
        sex = EXCLUDED.sex, death_date = EXCLUDED.death_date, commune_code = EXCLUDED.commune_code,
        district_code = EXCLUDED.district_code, province_code = EXCLUDED.province_code,
        household_id = EXCLUDED.household_id, computed_from = EXCLUDED.computed_from,
        computed_to = EXCLUDED.computed_to, updated_at = now()
    WHERE b.version < EXCLUDED.version
    RETURNING id
""")

# Months before computed_from keep what an earlier version said; from computed_from on the new periods replace
# everything (a period straddling computed_from is cut at the month before it).
_CUT_PERIODS = text("""
    WITH gone AS (
        DELETE FROM payments.entitlement_periods WHERE beneficiary_id = :id AND first_month >= :from
    )
    UPDATE payments.entitlement_periods SET last_month = (CAST(:from AS date) - interval '1 month')::date
    WHERE beneficiary_id = :id AND first_month < :from AND (last_month IS NULL OR last_month >= :from)
""")

_INSERT_PERIODS = text("""
    INSERT INTO payments.entitlement_periods (beneficiary_id, first_month, last_month, amount, category, coefficient,
                                              standard_level, categories)
    SELECT :id, GREATEST(to_date(p."from", 'YYYY-MM'), CAST(:from AS date)), to_date(p."to", 'YYYY-MM'), p.amount,
           p.category, p.coefficient, p.standard_level, p.categories
    FROM jsonb_to_recordset(CAST(:periods AS jsonb)) AS p("from" text, "to" text, amount bigint, category text,
                                                         coefficient numeric, standard_level bigint, categories text[])
    WHERE p.amount > 0 AND (p."to" IS NULL OR to_date(p."to", 'YYYY-MM') >= :from)
""")


async def apply_entitlements(session: AsyncSession, data: EntitlementsChangedIn) -> bool:
    """Store a newer version of a beneficiary; False (nothing written) when ours is as new or newer."""
    computed_from = parse_month(data.computed_from)
    applied = await session.scalar(
        _UPSERT_BENEFICIARY,
        {
            "id": data.beneficiary_id,
            "person_id": data.person_id,
            "version": data.version,
            "status": data.status,
            "full_name": data.full_name,
            "national_id": data.national_id,
            "date_of_birth": data.date_of_birth,
            "sex": data.sex,
            "death_date": data.death_date,
            "commune_code": data.commune_code,
            "district_code": data.district_code,
            "province_code": data.province_code,
            "household_id": data.household_id,
            "computed_from": computed_from,
            "computed_to": parse_month(data.computed_to),
        },
    )
    if applied is None:
        return False
    await session.execute(_CUT_PERIODS, {"id": data.beneficiary_id, "from": computed_from})
    periods = [p.model_dump(mode="json", by_alias=True) for p in data.periods]
    if periods:
        await session.execute(
            _INSERT_PERIODS, {"id": data.beneficiary_id, "from": computed_from, "periods": json.dumps(periods)}
        )
    return True


_UPSERT_HOUSEHOLD = text("""
    INSERT INTO payments.households AS h (id, commune_code, district_code, province_code, version)
    VALUES (:id, :commune_code, :district_code, :province_code, 1)
    ON CONFLICT (id) DO UPDATE SET commune_code = EXCLUDED.commune_code, district_code = EXCLUDED.district_code,
        province_code = EXCLUDED.province_code, version = h.version + 1, updated_at = now()
""")

_UPSERT_STATUS = text("""
    INSERT INTO payments.poverty_statuses AS s (household_id, valid_from, status, document, sequence)
    VALUES (:id, :valid_from, :status, :document, :sequence)
    ON CONFLICT (household_id, valid_from) DO UPDATE SET status = EXCLUDED.status, document = EXCLUDED.document,
        sequence = EXCLUDED.sequence
    WHERE s.sequence < EXCLUDED.sequence
""")


async def apply_poverty_status(session: AsyncSession, data: PovertyStatusChangedIn, sequence: int) -> None:
    """Record a household's status from a day (statuses are history: none is overwritten but by a later event
    about the same day). The household's version moves, so its next electricity payroll re-checks old months."""
    await session.execute(
        _UPSERT_HOUSEHOLD,
        {
            "id": data.household_id,
            "commune_code": data.commune_code,
            "district_code": data.district_code,
            "province_code": data.province_code,
        },
    )
    await session.execute(
        _UPSERT_STATUS,
        {
            "id": data.household_id,
            "valid_from": data.valid_from,
            "status": data.status,
            "document": data.document,
            "sequence": sequence,
        },
    )


async def clear(session: AsyncSession, event_types: list[str]) -> None:
    """Empty the projection and forget that its events were applied (before a rebuild)."""
    await session.execute(text("DELETE FROM payments.entitlement_periods"))
    await session.execute(text("DELETE FROM payments.beneficiaries"))
    await session.execute(text("DELETE FROM payments.poverty_statuses"))
    await session.execute(text("DELETE FROM payments.households"))
    await session.execute(text("DELETE FROM payments.inbox WHERE type = ANY(:types)"), {"types": event_types})


async def beneficiary(
    session: AsyncSession, beneficiary_id: uuid.UUID
) -> tuple[Beneficiary | None, Sequence[EntitlementPeriod]]:
    row = await session.scalar(select(Beneficiary).where(Beneficiary.id == beneficiary_id))
    if row is None:
        return None, []
    periods = (
        await session.scalars(
            select(EntitlementPeriod)
            .where(EntitlementPeriod.beneficiary_id == beneficiary_id)
            .order_by(EntitlementPeriod.first_month)
        )
    ).all()
    return row, periods


async def apply_person_merged(session: AsyncSession, data: PersonMergedIn) -> None:
    """The registry merged two records of one person: the projection's beneficiaries of the record merged away now
    belong to the survivor (the registry also publishes the moved beneficiary's schedule again; this covers the time
    until it arrives, and any order of the two)."""
    await session.execute(
        text("UPDATE payments.beneficiaries SET person_id = :survivor WHERE person_id = :merged"),
        {"survivor": data.survivor_id, "merged": data.person_id},
    )


async def counts(session: AsyncSession, areas: Sequence[str] | None) -> dict[str, int]:
    """Beneficiaries of the copy by status, within ``areas`` (None: all)."""
    stmt = select(Beneficiary.status, func.count()).group_by(Beneficiary.status)
    if areas is not None:
        stmt = stmt.where(in_areas(Beneficiary, areas))
    return {status: int(n) for status, n in (await session.execute(stmt)).all()}
