"""Rules for adding administrative units and correcting the 2025 mapping. Nothing here commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import Conflict, NotFound, ValidationFailed

from ..models import AdminUnit, UnitMapping
from . import repository
from .schemas import Level, MappingIn, MappingOut, UnitDetail, UnitIn, UnitOut

# Which level a parent must have: a district sits in a province; a commune in a district (before 2025) or,
# since the district level was abolished, directly in a province (or with no parent and a province_code).
_PARENT_LEVELS = {Level.PROVINCE: set(), Level.DISTRICT: {"province"}, Level.COMMUNE: {"district", "province"}}


def _mapping_out(mapping: UnitMapping, old_name: str) -> MappingOut:
    return MappingOut(
        old_code=mapping.old_code,
        old_name=old_name,
        new_code=mapping.new_code,
        new_name=mapping.new_name,
        new_province_code=mapping.new_province_code,
        effective_from=mapping.effective_from,
    )


async def detail(session: AsyncSession, code: str) -> UnitDetail:
    unit = await repository.get(session, code)
    if unit is None:
        raise NotFound(f"no administrative unit {code}")
    return UnitDetail(
        **UnitOut.model_validate(unit).model_dump(),
        successors=[_mapping_out(m, n) for m, n in await repository.successors(session, code)],
        predecessors=[_mapping_out(m, n) for m, n in await repository.predecessors(session, code)],
    )


async def successors(session: AsyncSession, code: str) -> list[MappingOut]:
    if await repository.get(session, code) is None:
        raise NotFound(f"no administrative unit {code}")
    return [_mapping_out(m, n) for m, n in await repository.successors(session, code)]


async def create_unit(session: AsyncSession, body: UnitIn) -> AdminUnit:
    errors: list[dict[str, Any]] = []
    if body.valid_to is not None and body.valid_to <= body.valid_from:
        errors.append({"field": "body.valid_to", "reason": "must be after valid_from"})
    province_code = body.province_code
    if body.level is Level.PROVINCE:
        if body.parent_code is not None:
            errors.append({"field": "body.parent_code", "reason": "a province has no parent"})
        if province_code not in (None, body.code):
            errors.append({"field": "body.province_code", "reason": "a province's province_code is its own code"})
        province_code = body.code
    elif body.parent_code is not None:
        parent = await repository.get(session, body.parent_code)
        if parent is None:
            errors.append({"field": "body.parent_code", "reason": f"no administrative unit {body.parent_code}"})
        else:
            if parent.level not in _PARENT_LEVELS[body.level]:
                errors.append({"field": "body.parent_code", "reason": f"a {body.level} cannot be in a {parent.level}"})
            if body.valid_from < parent.valid_from or (
                parent.valid_to is not None and body.valid_from >= parent.valid_to
            ):
                errors.append(
                    {"field": "body.valid_from", "reason": f"parent {parent.code} does not exist on {body.valid_from}"}
                )
            if province_code not in (None, parent.province_code):
                errors.append(
                    {
                        "field": "body.province_code",
                        "reason": f"parent {parent.code} is in province {parent.province_code}",
                    }
                )
            province_code = parent.province_code
    elif body.level is Level.DISTRICT:
        errors.append({"field": "body.parent_code", "reason": "a district needs its province as parent"})
    elif province_code is None:
        errors.append({"field": "body.province_code", "reason": "required for a commune without parent"})
    else:
        province = await repository.get(session, province_code)
        if province is None or province.level != "province":
            errors.append({"field": "body.province_code", "reason": f"no province {province_code}"})
    if errors:
        raise ValidationFailed(errors)
    if await repository.get(session, body.code) is not None:
        raise Conflict(f"administrative unit {body.code} already exists")
    assert province_code is not None
    unit = AdminUnit(
        code=body.code,
        name=body.name.strip(),
        level=body.level.value,
        kind=body.kind.strip(),
        parent_code=body.parent_code,
        province_code=province_code,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
    )
    await repository.add(session, unit)
    return unit


async def create_mapping(session: AsyncSession, body: MappingIn) -> MappingOut:
    errors: list[dict[str, Any]] = []
    old = await repository.get(session, body.old_code)
    if old is None:
        errors.append({"field": "body.old_code", "reason": f"no administrative unit {body.old_code}"})
    elif body.effective_from < old.valid_from:
        errors.append({"field": "body.effective_from", "reason": f"unit {old.code} did not exist yet"})
    province = await repository.get(session, body.new_province_code)
    if province is None or province.level != "province":
        errors.append({"field": "body.new_province_code", "reason": f"no province {body.new_province_code}"})
    if errors:
        raise ValidationFailed(errors)
    assert old is not None
    if await repository.get_mapping(session, body.old_code, body.new_code) is not None:
        raise Conflict(f"{body.old_code} is already mapped to {body.new_code}")
    mapping = UnitMapping(
        old_code=body.old_code,
        new_code=body.new_code,
        new_name=body.new_name.strip(),
        new_province_code=body.new_province_code,
        effective_from=body.effective_from,
    )
    await repository.add(session, mapping)
    return _mapping_out(mapping, old.name)


async def delete_mapping(session: AsyncSession, old_code: str, new_code: str) -> None:
    if not await repository.delete_mapping(session, old_code, new_code):
        raise NotFound(f"{old_code} is not mapped to {new_code}")
