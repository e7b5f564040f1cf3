"""All SQL of the beneficiaries feature."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Text, func, literal, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import in_areas

from ..models import (
    SCHEMA,
    Application,
    BeneficiaryRow,
    CategoryRuleRow,
    Decision,
    HouseholdMember,
    Person,
    PovertyStatus,
)
from ..persons import repository as persons_repository


class DuplicateBeneficiary(Exception):
    pass


async def category_codes(session: AsyncSession) -> set[str]:
    return set(await session.scalars(select(CategoryRuleRow.code).distinct()))


async def application(
    session: AsyncSession, application_id: uuid.UUID, *, for_update: bool = False
) -> Application | None:
    stmt = select(Application).where(Application.id == application_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def applications_for_update(
    session: AsyncSession, application_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Application]:
    """The applications of ``application_ids`` that exist, locked (in id order: two bulk approvals sharing some never
    wait for each other crosswise)."""
    if not application_ids:
        return {}
    rows = await session.scalars(
        select(Application)
        .where(Application.id.in_(sorted(set(application_ids))))
        .order_by(Application.id)
        .with_for_update()
    )
    return {a.id: a for a in rows}


async def persons_by_id(session: AsyncSession, person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Person]:
    if not person_ids:
        return {}
    return {p.id: p for p in await session.scalars(select(Person).where(Person.id.in_(set(person_ids))))}


async def beneficiaries_of_persons(
    session: AsyncSession, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """person id → beneficiary id, for those of ``person_ids`` who are beneficiaries."""
    if not person_ids:
        return {}
    rows = await session.execute(
        select(BeneficiaryRow.person_id, BeneficiaryRow.id).where(BeneficiaryRow.person_id.in_(set(person_ids)))
    )
    return {person_id: beneficiary_id for person_id, beneficiary_id in rows}


async def submitted_applications_of(
    session: AsyncSession, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """person id → ids of that person's applications still ``submitted`` (oldest first)."""
    if not person_ids:
        return {}
    rows = await session.execute(
        select(Application.person_id, Application.id)
        .where(Application.person_id.in_(person_ids), Application.status == "submitted")
        .order_by(Application.submitted_at, Application.id)
    )
    out: dict[uuid.UUID, list[uuid.UUID]] = {}
    for person_id, application_id in rows:
        out.setdefault(person_id, []).append(application_id)
    return out


async def beneficiary(
    session: AsyncSession, beneficiary_id: uuid.UUID, *, for_update: bool = False
) -> BeneficiaryRow | None:
    stmt = select(BeneficiaryRow).where(BeneficiaryRow.id == beneficiary_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def beneficiary_of_person(session: AsyncSession, person_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(select(BeneficiaryRow.id).where(BeneficiaryRow.person_id == person_id))


async def decisions(session: AsyncSession, beneficiary_id: uuid.UUID) -> Sequence[Decision]:
    return (
        await session.scalars(select(Decision).where(Decision.beneficiary_id == beneficiary_id).order_by(Decision.id))
    ).all()


async def add(session: AsyncSession, *rows: Application | Decision) -> None:
    session.add_all(rows)
    await session.flush()


async def add_beneficiary(session: AsyncSession, row: BeneficiaryRow) -> None:
    """Write ``row`` now; a concurrent approval for the same person surfaces as DuplicateBeneficiary."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        if "uq_beneficiaries_person_id" not in str(exc.orig):
            raise
        raise DuplicateBeneficiary from exc


# --- lists of beneficiaries ------------------------------------------------------------------------------


async def beneficiaries_chunk(
    session: AsyncSession,
    *,
    areas: Sequence[str] | None,
    commune_code: str | None,
    district_code: str | None,
    province_code: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[tuple[BeneficiaryRow, Person]]:
    """One query: up to ``limit`` beneficiaries with their persons, in id order after ``after`` (keyset)."""
    query = select(BeneficiaryRow, Person).join(Person, Person.id == BeneficiaryRow.person_id)
    if areas is not None:
        query = query.where(in_areas(Person, areas))
    if commune_code:
        query = query.where(Person.commune_code == commune_code)
    if district_code:
        query = query.where(Person.district_code == district_code)
    if province_code:
        query = query.where(Person.province_code == province_code)
    if after is not None:
        query = query.where(BeneficiaryRow.id > after)
    rows = await session.execute(query.order_by(BeneficiaryRow.id).limit(limit))
    return [(b, p) for b, p in rows.tuples()]


async def decisions_of(session: AsyncSession, beneficiary_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Decision]]:
    """One query: the decisions of every beneficiary in ``beneficiary_ids``, each list oldest first."""
    out: dict[uuid.UUID, list[Decision]] = {i: [] for i in beneficiary_ids}
    if not beneficiary_ids:
        return out
    for d in await session.scalars(
        select(Decision)
        .where(Decision.beneficiary_id.in_(beneficiary_ids))
        .order_by(Decision.beneficiary_id, Decision.id)
    ):
        out[d.beneficiary_id].append(d)
    return out


def _current_categories() -> Any:
    return (
        select(Decision.categories)
        .where(Decision.beneficiary_id == BeneficiaryRow.id, Decision.kind.in_(("approve", "change_category")))
        .order_by(Decision.id.desc())
        .limit(1)
        .correlate(BeneficiaryRow)
        .scalar_subquery()
    )


def _current_poverty(today: date) -> Any:
    return (
        select(PovertyStatus.status)
        .join(HouseholdMember, HouseholdMember.household_id == PovertyStatus.household_id)
        .where(
            HouseholdMember.person_id == Person.id, HouseholdMember.left_on.is_(None), PovertyStatus.valid_from <= today
        )
        .order_by(PovertyStatus.valid_from.desc(), PovertyStatus.id.desc())
        .limit(1)
        .correlate(Person)
        .scalar_subquery()
    )


@dataclass(frozen=True, slots=True)
class Found:
    row: BeneficiaryRow
    person: Person
    categories: list[str]
    poverty_status: str | None


async def search(
    session: AsyncSession,
    *,
    areas: Sequence[str] | None,
    today: date,
    key: str | None,
    category: str | None,
    status: str | None,
    commune_code: str | None,
    district_code: str | None,
    born_after: date | None,
    born_on_or_before: date | None,
    poverty_status: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[Found]:
    """Beneficiaries with their persons in (person name_key, beneficiary id) order; ``areas`` None: unrestricted."""
    categories = _current_categories()
    poverty = _current_poverty(today)
    query = select(BeneficiaryRow, Person, categories.label("categories"), poverty.label("poverty")).join(
        Person, Person.id == BeneficiaryRow.person_id
    )
    if areas is not None:
        query = query.where(in_areas(Person, areas))
    if key:  # the named persons first (trigram index), as in persons.repository.search
        query = query.where(persons_repository.name_like(key))
    if category:
        query = query.where(func.array_position(categories, literal(category, Text)).is_not(None))
    if status:
        query = query.where(BeneficiaryRow.status == status)
    if commune_code:
        query = query.where(Person.commune_code == commune_code)
    if district_code:
        query = query.where(Person.district_code == district_code)
    if born_after:
        query = query.where(Person.date_of_birth > born_after)
    if born_on_or_before:
        query = query.where(Person.date_of_birth <= born_on_or_before)
    if poverty_status:
        query = query.where(poverty == poverty_status)
    if after is not None:
        query = query.where(tuple_(Person.name_key, BeneficiaryRow.id) > tuple_(literal(after[0]), literal(after[1])))
    rows = await session.execute(query.order_by(Person.name_key, BeneficiaryRow.id).limit(limit))
    return [Found(b, p, list(c or []), pov) for b, p, c, pov in rows.tuples()]


async def rekey_person(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """Re-key ``source``'s applications, then its beneficiary (whose decisions hang off it), to ``target`` (an
    officer's merge of two records of one person). Rows moved per kind."""
    moved = {}
    for name, model in (("applications", Application), ("beneficiaries", BeneficiaryRow)):
        result = await session.execute(
            update(model)
            .where(model.person_id == source)
            .values(person_id=target)
            .execution_options(synchronize_session=False)
        )
        moved[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return moved


# --- bulk (imports) ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewApplication:
    id: uuid.UUID
    person_id: uuid.UUID
    categories: list[str]
    note: str
    snapshot: str


async def insert_applications(session: AsyncSession, rows: Sequence[NewApplication], *, by: str) -> None:
    """Submitted applications, set-based (a bulk import)."""
    if not rows:
        return
    # Arrays of arrays do not unnest into rows of arrays; the categories travel joined and are split here.
    await session.execute(
        text(f"""
        INSERT INTO {SCHEMA}.applications (id, person_id, categories, status, note, submitted_by, submitted_at)
        SELECT id, person_id, string_to_array(categories, ' '), 'submitted', note, :by, now()
        FROM unnest(CAST(:id AS uuid[]), CAST(:person AS uuid[]), CAST(:categories AS text[]), CAST(:note AS text[]))
             AS i(id, person_id, categories, note)
    """),
        {
            "id": [r.id for r in rows],
            "person": [r.person_id for r in rows],
            "categories": [" ".join(r.categories) for r in rows],
            "note": [r.note for r in rows],
            "by": by,
        },
    )
