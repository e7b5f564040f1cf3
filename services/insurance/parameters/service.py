"""Use cases of card groups and parameters: read them, load them for the rules, propose and decide new values
(maker-checker: the admin who approves or rejects is not the one who proposed)."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.db import UniqueViolation
from common.errors import ValidationFailed

from ..models import Parameter
from ..rules.contributions import Dated, in_force
from ..rules.groups import Group
from . import repository
from .exceptions import ProposalDecided, ProposalNotFound, SameClient, UnknownParameter, ValueExists
from .schemas import GroupOut, ParametersOut, ProposalIn, ValueOut

MAX_BASE_SALARY = 1_000_000_000
"""A base salary above this (VND a month; 2,340,000 from 2024-07-01) is a typing error, not a decree."""
_NAME = re.compile(r"^(base_salary|contribution_rate|state_share\.[A-Z]{2}|household_factor\.[1-9])$")


@dataclass(frozen=True)
class Params:
    """Everything the rules need, loaded once per use case."""

    groups: dict[str, Group]
    """Groups with the state share in force on the day they were loaded for."""
    series: dict[str, list[Dated]]

    def value(self, name: str, day: date) -> Decimal | None:
        return in_force(self.series.get(name, []), day)

    def household_factors(self, day: date) -> list[Decimal]:
        out = []
        for n in range(1, 10):
            v = self.value(f"household_factor.{n}", day)
            if v is None:
                break
            out.append(v)
        return out


async def load(session: AsyncSession, day: date | None = None) -> Params:
    day = day or clock.today()
    series: dict[str, list[Dated]] = defaultdict(list)
    for row in await repository.values(session):
        series[row.name].append(Dated(row.valid_from, row.value))
    groups = {
        g.code: Group(
            g.code,
            g.name,
            g.benefit_level,
            in_force(series.get(f"state_share.{g.code}", []), day) or Decimal(0),
            g.statutory_order,
        )
        for g in await repository.groups(session)
    }
    return Params(groups, dict(series))


def decimal_text(value: Decimal) -> str:
    """An exact decimal without exponent or trailing zeros: 2340000, 0.045, 1."""
    return format(value.normalize(), "f")


def _value_out(row: Parameter) -> ValueOut:
    return ValueOut(
        id=row.id,
        name=row.name,
        valid_from=row.valid_from,
        value=decimal_text(row.value),
        legal_basis=row.legal_basis,
        status=row.status,
        proposed_by=row.proposed_by,
        proposed_at=row.proposed_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        reason=row.reason,
    )


async def read(session: AsyncSession) -> ParametersOut:
    params = await load(session)
    groups = [
        GroupOut(
            code=g.code,
            name=g.name,
            benefit_level=g.benefit_level,
            statutory_order=g.statutory_order,
            state_share=decimal_text(params.groups[g.code].state_share),
            from_events=g.from_events,
            legal_basis=g.legal_basis,
        )
        for g in await repository.groups(session)
    ]
    return ParametersOut(
        groups=groups,
        values=[_value_out(r) for r in await repository.values(session)],
        proposals=[_value_out(r) for r in await repository.values(session, "proposed")],
    )


async def propose(session: AsyncSession, body: ProposalIn, client_id: str) -> ValueOut:
    if not _NAME.match(body.name):
        raise UnknownParameter(
            body.name, ["base_salary", "contribution_rate", "state_share.<group code>", "household_factor.<n>"]
        )
    if body.name.startswith("state_share.") and body.name.split(".")[1] not in {
        g.code for g in await repository.groups(session)
    }:
        raise UnknownParameter(body.name, [f"state_share.{g.code}" for g in await repository.groups(session)])
    if body.name != "base_salary" and body.value > 1:
        raise ValidationFailed([{"field": "body.value", "reason": "a fraction between 0 and 1 (0.045 is 4.5%)"}])
    if body.name == "base_salary" and body.value != body.value.to_integral_value():
        raise ValidationFailed([{"field": "body.value", "reason": "whole VND"}])
    if body.name == "base_salary" and body.value > MAX_BASE_SALARY:
        raise ValidationFailed([{"field": "body.value", "reason": f"at most {MAX_BASE_SALARY} VND a month"}])
    row = Parameter(
        id=uuid.uuid4(),
        name=body.name,
        valid_from=body.valid_from,
        value=body.value,
        legal_basis=body.legal_basis,
        status="proposed",
        proposed_by=client_id,
        proposed_at=datetime.now(UTC),
    )
    await repository.add(session, row)
    return _value_out(row)


async def decide(session: AsyncSession, proposal_id: uuid.UUID, approve: bool, client_id: str, reason: str) -> ValueOut:
    row = await repository.get(session, proposal_id)
    if row is None:
        raise ProposalNotFound(f"no parameter proposal {proposal_id}")
    if row.status != "proposed":
        raise ProposalDecided(f"proposal {proposal_id} is already {row.status}")
    if row.proposed_by == client_id:
        raise SameClient(f"{client_id} proposed this value: another admin approves or rejects it")
    try:
        await repository.decide(
            session, row, "approved" if approve else "rejected", client_id, datetime.now(UTC), reason
        )
    except UniqueViolation as exc:
        raise ValueExists(f"{row.name} from {row.valid_from} is already approved") from exc
    return _value_out(row)
