"""HTTP surface of administrative units: list, detail with the 2025 mapping, admin corrections."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam
from starlette.convertors import Convertor, register_url_convertor

from common.auth import Principal, require
from common.db import SessionDep
from common.errors import ValidationFailed

from . import repository
from . import service as units_service
from .schemas import CODE, Level, MappingIn, MappingOut, UnitDetail, UnitIn, UnitOut, UnitPage

router = APIRouter(prefix="/units", tags=["administrative units"])

Code = Annotated[str, PathParam(pattern=CODE, description="Official GSO code, e.g. 29236")]


class _UnitCode(Convertor[str]):
    """Routes ``/units/{code:unit_code}`` take only codes, so ``/units/mappings`` is not a unit: a GET
    there is 405 (the path has POST only), not a 422 about the code."""

    regex = CODE.strip("^$")

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("unit_code", _UnitCode())


@router.get("", summary="List administrative units", response_model=UnitPage, dependencies=[require("registry:read")])
async def list_units(
    session: SessionDep,
    level: Annotated[Level | None, Query(description="province, district or commune")] = None,
    parent: Annotated[str | None, Query(pattern=CODE, description="Only the children of this unit")] = None,
    valid_on: Annotated[date | None, Query(description="Only units that existed on this day (YYYY-MM-DD)")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Code, or part of the name (diacritics optional)")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=20, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> UnitPage:
    """Provinces, districts and communes/wards/towns with the dates they existed, ordered by code.

    Trà Vinh's pre-2025 units (province 84, its districts and communes) end on 2025-07-01, when the
    province merged into Vĩnh Long (86) and districts were abolished. The communes in force since then
    (`valid_on` today, `level=commune`: the codes to register in) have no district (`parent_code` null);
    a new commune that reuses an old commune's code is listed twice, the old unit and then the new one.
    Records keep the code they were made with; use `GET /units/{code}` or `/successors` to find what
    an old unit became."""
    after = repository.parse_cursor(cursor) if cursor else None
    if cursor and after is None:
        raise ValidationFailed([{"field": "query.cursor", "reason": "not a next_cursor of this list"}])
    rows = await repository.list_units(
        session, level=level.value if level else None, parent=parent, valid_on=valid_on, q=q, after=after, limit=limit
    )
    return UnitPage(
        items=[UnitOut.model_validate(r) for r in rows],
        next_cursor=repository.cursor_of(rows[-1]) if len(rows) == limit else None,
    )


@router.get(
    "/{code:unit_code}",
    summary="One administrative unit with its 2025 mapping",
    response_model=UnitDetail,
    dependencies=[require("registry:read")],
)
async def get_unit(code: Code, session: SessionDep) -> UnitDetail:
    """The unit and both directions of the 2025 reorganisation mapping: `successors` (what this old unit
    became; several when it was split) and `predecessors` (the old units that became this code — the new
    commune often reuses the code of one of the merged ones). 404 if the code is unknown."""
    return await units_service.detail(session, code)


@router.get(
    "/{code:unit_code}/successors",
    summary="What an old unit became in 2025",
    response_model=list[MappingOut],
    dependencies=[require("registry:read")],
)
async def get_successors(code: Code, session: SessionDep) -> list[MappingOut]:
    """The new unit(s) this old unit became on the 2025 reorganisation (empty if it has no mapping).
    The mapping is community-derived data that administrators correct; it is not law."""
    return await units_service.successors(session, code)


@router.post("", summary="Add an administrative unit (admin)", status_code=201, response_model=UnitOut)
async def create_unit(body: UnitIn, session: SessionDep, principal: Annotated[Principal, require("admin")]) -> UnitOut:
    """Add a unit. The parent must exist on `valid_from` and be of the level above (a district in a
    province; a commune in a district, or since 2025 in a province or with no parent and a
    `province_code`). `province_code` is derived from the parent. 409 if the code already exists;
    422 with the failing fields otherwise."""
    return UnitOut.model_validate(await units_service.create_unit(session, body))


@router.post("/mappings", summary="Add an old → new mapping (admin)", status_code=201, response_model=MappingOut)
async def create_mapping(
    body: MappingIn, session: SessionDep, principal: Annotated[Principal, require("admin")]
) -> MappingOut:
    """Record that old unit `old_code` became (or partly became, for a split) `new_code` from
    `effective_from`. The old unit must exist; the new code may be one the registry has no row for (a new
    commune often reuses an old code). 409 if this pair is already mapped: delete it first to correct it."""
    return await units_service.create_mapping(session, body)


@router.delete(
    "/mappings/{old_code}/{new_code}",
    summary="Remove a wrong mapping (admin)",
    status_code=204,
    response_class=Response,
)
async def delete_mapping(
    old_code: Code, new_code: Code, session: SessionDep, principal: Annotated[Principal, require("admin")]
) -> Response:
    """Delete the mapping `old_code` → `new_code` (to correct community-derived data). 404 if absent."""
    await units_service.delete_mapping(session, old_code, new_code)
    return Response(status_code=204)
