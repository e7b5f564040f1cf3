"""All SQL of programmes and their parameters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import flush_in_savepoint

from ..models import Programme, ProgrammeParameter


async def programmes(session: AsyncSession) -> Sequence[Programme]:
    return (await session.scalars(select(Programme).order_by(Programme.code))).all()


async def programme(session: AsyncSession, code: str, *, for_update: bool = False) -> Programme | None:
    stmt = select(Programme).where(Programme.code == code)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def has_payroll(session: AsyncSession, code: str) -> bool:
    """Whether any payroll of the programme exists (whatever its state)."""
    return bool(
        await session.scalar(text("SELECT EXISTS (SELECT 1 FROM payments.payrolls WHERE programme = :p)"), {"p": code})
    )


async def parameters(session: AsyncSession, codes: Sequence[str]) -> Sequence[ProgrammeParameter]:
    return (
        await session.scalars(
            select(ProgrammeParameter)
            .where(ProgrammeParameter.programme.in_(codes))
            .order_by(ProgrammeParameter.programme, ProgrammeParameter.name, ProgrammeParameter.valid_from)
        )
    ).all()


async def add_parameter(session: AsyncSession, row: ProgrammeParameter) -> None:
    await flush_in_savepoint(session, row)


async def value_in(session: AsyncSession, programme: str, name: str, month: date) -> Decimal | None:
    """The value of a parameter in force in ``month`` (None when none is recorded by then)."""
    return await session.scalar(
        text(
            "SELECT value FROM payments.programme_parameters WHERE programme = :p AND name = :n AND valid_from <= :m "
            "ORDER BY valid_from DESC LIMIT 1"
        ),
        {"p": programme, "n": name, "m": month},
    )
