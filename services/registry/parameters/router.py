"""HTTP surface of the policy parameters: standard levels and category rules (read; admin records new ones)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request

from common.auth import Principal, require
from common.db import SessionDep

from ..models import CategoryRuleRow, StandardLevelRow
from ..rules.months import Month
from ..schedules import service as schedules_service
from . import repository
from . import service as parameters_service
from .schemas import CategoryRuleIn, CategoryRuleOut, StandardLevelIn, StandardLevelOut

router = APIRouter(prefix="/parameters", tags=["policy parameters"])


def _level_out(row: StandardLevelRow) -> StandardLevelOut:
    return StandardLevelOut(
        valid_from=Month.of(row.valid_from),
        amount=row.amount,
        legal_basis=row.legal_basis,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


def _rule_out(row: CategoryRuleRow) -> CategoryRuleOut:
    return CategoryRuleOut(
        code=row.code,
        valid_from=Month.of(row.valid_from),
        legal_basis=row.legal_basis,
        rule=row.rule,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


@router.get(
    "/standard-levels",
    summary="Standard levels (mức chuẩn trợ giúp xã hội)",
    response_model=list[StandardLevelOut],
    dependencies=[require("registry:read")],
)
async def list_standard_levels(session: SessionDep) -> list[StandardLevelOut]:
    """Every standard level with the month it applies from, oldest first. A level applies from its
    `valid_from` month until the next one. Monthly allowance = standard level × category coefficient."""
    return [_level_out(r) for r in await repository.standard_levels(session)]


@router.post(
    "/standard-levels", summary="Record a standard level (admin)", status_code=201, response_model=StandardLevelOut
)
async def add_standard_level(
    body: StandardLevelIn,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
    principal: Annotated[Principal, require("admin")],
) -> StandardLevelOut:
    """Record the standard level in force from month `valid_from` (`YYYY-MM`), in whole VND, with its legal
    basis. A past month is allowed (decrees often apply retroactively: entitlements then show arrears).
    409 if a level from that month is already recorded.

    Once recorded, every beneficiary's entitlement schedule is recomputed in the background and the changed
    ones are sent to payments (`registry.beneficiary.entitlements_changed.v1`), which pays the arrears."""
    row = await parameters_service.add_standard_level(session, body, principal.client_id)
    background.add_task(schedules_service.sweep_logged, request.app.state.sessionmaker, "standard level")
    return _level_out(row)


@router.get(
    "/category-rules",
    summary="Beneficiary category rules",
    response_model=list[CategoryRuleOut],
    dependencies=[require("registry:read")],
)
async def list_category_rules(
    session: SessionDep,
    code: Annotated[str | None, Query(max_length=20, description="Only this category, e.g. 5.5a")] = None,
) -> list[CategoryRuleOut]:
    """Coefficient rules of the beneficiary categories (Decree 20/2021 Art 5, 6, 25), each from a month
    until the next rule of the same code, ordered by code then month."""
    return [_rule_out(r) for r in await repository.category_rules(session, code)]


@router.post(
    "/category-rules", summary="Record a category rule (admin)", status_code=201, response_model=CategoryRuleOut
)
async def add_category_rule(
    body: CategoryRuleIn,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
    principal: Annotated[Principal, require("admin")],
) -> CategoryRuleOut:
    """Record the rule of category `code` from month `valid_from` (may be in the past). Coefficients are
    exact decimals (send them as strings, e.g. `"2.5"`). 409 if that category already has a rule from that
    month; 422 with the failing fields if the rule is not valid. Schedules are then recomputed and re-sent
    in the background, as after a new standard level."""
    row = await parameters_service.add_category_rule(session, body, principal.client_id)
    background.add_task(schedules_service.sweep_logged, request.app.state.sessionmaker, "category rule")
    return _rule_out(row)
