"""Policy parameters: reading them for the engine and recording new ones. Nothing here commits.

Retroactive values are allowed on purpose: decrees are often signed after the month they apply from
(Decree 335/2026 is the arrears case), so a new standard level or rule may start in a past month; the
entitlement engine then computes arrears for the months already paid at the old amount.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import Conflict, ValidationFailed

from ..models import CategoryRuleRow, StandardLevelRow
from ..rules.months import Month
from ..rules.parameters import CategoryRule, CoefficientBand, DisabilityLevel, Parameters, StandardLevel
from . import repository
from .schemas import CategoryRuleIn, StandardLevelIn

VERIFY_MARK = "(verify)"
"""A standard level's legal basis containing this is a value docs/rules.md marks as to be verified."""


def rule_json(rule: CategoryRule) -> dict[str, Any]:
    """The ``rule`` column of a category rule: everything but code, valid_from and legal_basis (own columns)."""
    return {
        "name": rule.name,
        "bands": [
            {
                "coefficient": str(b.coefficient),
                "min_age": b.min_age,
                "below_age": b.below_age,
                "disability_level": b.disability_level.value if b.disability_level else None,
            }
            for b in rule.bands
        ],
        "min_age": rule.min_age,
        "last_birthday": rule.last_birthday,
        "starts_at_birthday": rule.starts_at_birthday,
        "starts_at_certificate": rule.starts_at_certificate,
        "per_child": rule.per_child,
        "requires_studying": rule.requires_studying,
        "continues_as": rule.continues_as,
        "cumulative_with": sorted(rule.cumulative_with),
        "verify": rule.verify,
        "child_last_birthday": rule.child_last_birthday,
        "child_studying_last_birthday": rule.child_studying_last_birthday,
        "introduced": rule.introduced,
        "lookback_months": rule.lookback_months,
    }


def rule_from_row(row: CategoryRuleRow) -> CategoryRule:
    data = row.rule
    return CategoryRule(
        code=row.code,
        valid_from=Month.of(row.valid_from),
        name=data["name"],
        legal_basis=row.legal_basis,
        bands=tuple(
            CoefficientBand(
                Decimal(b["coefficient"]),
                min_age=b.get("min_age"),
                below_age=b.get("below_age"),
                disability_level=DisabilityLevel(b["disability_level"]) if b.get("disability_level") else None,
            )
            for b in data["bands"]
        ),
        min_age=data.get("min_age"),
        last_birthday=data.get("last_birthday"),
        starts_at_birthday=data.get("starts_at_birthday"),
        starts_at_certificate=bool(data.get("starts_at_certificate")),
        per_child=bool(data.get("per_child")),
        requires_studying=bool(data.get("requires_studying")),
        continues_as=data.get("continues_as"),
        cumulative_with=frozenset(data.get("cumulative_with") or ()),
        verify=bool(data.get("verify")),
        child_last_birthday=data.get("child_last_birthday"),
        child_studying_last_birthday=data.get("child_studying_last_birthday"),
        introduced=bool(data.get("introduced")),
        lookback_months=data.get("lookback_months"),
    )


def level_from_row(row: StandardLevelRow) -> StandardLevel:
    return StandardLevel(
        Month.of(row.valid_from), int(row.amount), row.legal_basis, verify=VERIFY_MARK in row.legal_basis
    )


async def load_parameters(session: AsyncSession) -> Parameters:
    """The engine's input (:class:`~services.registry.rules.parameters.Parameters`) from the tables."""
    levels = [level_from_row(r) for r in await repository.standard_levels(session)]
    rules = [rule_from_row(r) for r in await repository.category_rules(session)]
    return Parameters(levels, rules)


async def add_standard_level(session: AsyncSession, body: StandardLevelIn, recorded_by: str) -> StandardLevelRow:
    valid_from = body.valid_from.first_day()
    if await repository.standard_level(session, valid_from) is not None:
        raise Conflict(f"a standard level from {body.valid_from} is already recorded")
    row = StandardLevelRow(
        valid_from=valid_from, amount=body.amount, legal_basis=body.legal_basis, recorded_by=recorded_by
    )
    await repository.add(session, row)
    return row


async def add_category_rule(session: AsyncSession, body: CategoryRuleIn, recorded_by: str) -> CategoryRuleRow:
    errors = []
    for i, band in enumerate(body.bands):
        if band.min_age is not None and band.below_age is not None and band.below_age <= band.min_age:
            errors.append({"field": f"body.bands.{i}.below_age", "reason": "must be greater than min_age"})
    if errors:
        raise ValidationFailed(errors)
    rule = CategoryRule(
        code=body.code,
        valid_from=body.valid_from,
        name=body.name,
        legal_basis=body.legal_basis,
        bands=tuple(CoefficientBand(b.coefficient, b.min_age, b.below_age, b.disability_level) for b in body.bands),
        min_age=body.min_age,
        last_birthday=body.last_birthday,
        starts_at_birthday=body.starts_at_birthday,
        starts_at_certificate=body.starts_at_certificate,
        per_child=body.per_child,
        requires_studying=body.requires_studying,
        continues_as=body.continues_as,
        cumulative_with=frozenset(body.cumulative_with),
        verify=body.verify,
        child_last_birthday=body.child_last_birthday,
        child_studying_last_birthday=body.child_studying_last_birthday,
        introduced=body.introduced,
        lookback_months=body.lookback_months,
    )
    valid_from = body.valid_from.first_day()
    if await repository.category_rule(session, body.code, valid_from) is not None:
        raise Conflict(f"a rule for category {body.code} from {body.valid_from} is already recorded")
    row = CategoryRuleRow(
        code=body.code,
        valid_from=valid_from,
        rule=rule_json(rule),
        legal_basis=body.legal_basis,
        recorded_by=recorded_by,
    )
    await repository.add(session, row)
    return row
