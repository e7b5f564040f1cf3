"""All SQL of the deaths feature."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import BeneficiaryRow, Person


async def person_for_update(session: AsyncSession, person_id: uuid.UUID) -> Person:
    """The person row, locked, with its values re-read (another transaction may have changed it since it was
    loaded into this session)."""
    return (
        await session.scalars(
            select(Person).where(Person.id == person_id).with_for_update().execution_options(populate_existing=True)
        )
    ).one()


async def beneficiary_of_person_for_update(session: AsyncSession, person_id: uuid.UUID) -> BeneficiaryRow | None:
    return await session.scalar(
        select(BeneficiaryRow)
        .where(BeneficiaryRow.person_id == person_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
