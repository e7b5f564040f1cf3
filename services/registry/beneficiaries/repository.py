"""All SQL of the beneficiaries feature."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Application, BeneficiaryRow, CategoryRuleRow, ChangeRecord, Decision


class DuplicateBeneficiary(Exception):
    pass


async def category_codes(session: AsyncSession) -> set[str]:
    return set(await session.scalars(select(CategoryRuleRow.code).distinct()))


async def application(session: AsyncSession, application_id: uuid.UUID, *,
                      for_update: bool = False) -> Application | None:
    stmt = select(Application).where(Application.id == application_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def beneficiary(session: AsyncSession, beneficiary_id: uuid.UUID, *,
                      for_update: bool = False) -> BeneficiaryRow | None:
    stmt = select(BeneficiaryRow).where(BeneficiaryRow.id == beneficiary_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def beneficiary_of_person(session: AsyncSession, person_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(select(BeneficiaryRow.id).where(BeneficiaryRow.person_id == person_id))


async def decisions(session: AsyncSession, beneficiary_id: uuid.UUID) -> Sequence[Decision]:
    return (await session.scalars(select(Decision).where(Decision.beneficiary_id == beneficiary_id)
                                  .order_by(Decision.id))).all()


async def add(session: AsyncSession, *rows: Any) -> None:
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


def add_change(session: AsyncSession, *, record_type: str, record_id: uuid.UUID, version: int, changed_by: str,
               reason: str, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    session.add(ChangeRecord(record_type=record_type, record_id=record_id, version=version, changed_by=changed_by,
                             reason=reason, before=before, after=after))
