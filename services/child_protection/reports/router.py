"""Reports (counts only), JSON, CSV or XLSX."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from common import tabular
from common.db import SessionDep

from ..access import CountsAccess
from ..dates import Day
from . import service

router = APIRouter(prefix="/reports", tags=["reports"])

Format = Annotated[
    Literal["json", "csv", "xlsx"], Query(description="`csv` (UTF-8 with BOM) and `xlsx` have Vietnamese headers")
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _respond(name: str, report: dict[str, Any], format: str) -> Any:
    if format == "json":
        return report
    headers, rows = service.table(name, report)
    if format == "csv":
        return Response(
            tabular.write_csv(headers, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="tre-em-{name}.csv"'},
        )
    return Response(
        tabular.write_xlsx(headers, rows),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="tre-em-{name}.xlsx"'},
    )


@router.get(
    "/{name}",
    summary="Counts of children, support, placements or deadline compliance",
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
async def report(
    name: Literal["children", "support", "given", "placements", "deadlines"],
    session: SessionDep,
    principal: CountsAccess,
    format: Format = "json",
    on: Annotated[Day | None, Query(description="The day counted (default today)")] = None,
    since: Annotated[
        Day | None,
        Query(
            description="`deadlines`: limits due from this day; `given`: from this day "
            "(default 1 January of `on`'s year)"
        ),
    ] = None,
    until: Annotated[
        Day | None, Query(description="`deadlines`: limits due up to this day; `given`: up to this day (default `on`)")
    ] = None,
) -> Any:
    """Counts (and, for `given`, sums of money) only, never a person, within the client's areas. Scope
    `reports:read` (the year-end report), `child_protection:read` or `child_protection:case` (or `admin`, who sees
    these and nothing else of child protection); any other client gets 403 naming them — a count of 1 in a commune
    can name a child to anyone who knows the place.

    * `children` — children in special circumstances by group (Law on Children Art 10) and commune, with the
      commune's old district (a 2025 commune is reported under the old district its communes came from);
    * `support` — per commune, the children in special circumstances and the share with an approved plan in an
      open case;
    * `given` — money support (scholarship, gift, surgery sponsorship …) by kind and funding: items of plans
      approved from `since` to `until` (how many, for how many children, how much), and items the post office
      reported paid (how many, how much) or unpaid/returned in those days;
    * `placements` — children in alternative care by kind (kinship, foster, adoption, facility) and commune;
    * `deadlines` — per step, time limits met on time, late, overdue and not yet due."""
    return _respond(name, await service.build(session, principal, name, on, since, until), format)
