"""HTTP surface of the contributions and budget report (the gateway serves it under ``/insurance``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from common import tabular
from common.auth import Principal, require
from common.db import SessionDep
from common.types import Month

from . import service
from .schemas import ReportOut

router = APIRouter(tags=["contributions"])

HEADERS = {
    "group": ["Đối tượng"],
    "period": ["Tháng"],
    "commune": ["Mã xã"],
    "district": ["Mã huyện (cũ)", "Tên huyện (cũ)"],
}
AMOUNT_HEADERS = ["Số thẻ-tháng", "Tổng số tiền đóng", "Ngân sách nhà nước hỗ trợ", "Hộ gia đình đóng"]


@router.get(
    "/contributions",
    summary="Contributions and budget (JSON, CSV, XLSX)",
    response_model=ReportOut,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                tabular.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def contributions(
    session: SessionDep,
    principal: Annotated[Principal, require("insurance:read")],
    first: Annotated[Month, Query(description="First month (YYYY-MM)")],
    last: Annotated[Month, Query(description="Last month (YYYY-MM)")],
    by: Annotated[
        list[str] | None,
        Query(description="Any of group, period, commune, district (repeat the parameter); none: the grand total only"),
    ] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Any:
    """What the cards valid in the months cost, within the client's areas: per card and month, 4.5% × the base
    salary (for 100%-state groups the one in force that month; for part-funded groups the one in force when the card
    was paid), the GB household scheme (1st member 100%, 2nd 70%, 3rd 60%, 4th 50%, 5th and later 40%, members
    ranked by payment day) and the group's state share on top; the state part and the household part apart. Totals
    by the dimensions in `by`, with a grand total. `district` is the old (pre-2025) district: a person recorded in a
    2025 commune counts under the old district its communes came from (`842+847` for a commune formed across two).
    CSV/XLSX have Vietnamese headers (one row per total, then `Tổng cộng`)."""
    out = await service.report(session, principal, first, last, by or [])
    if format == "json":
        return out
    headers = [h for b in out.by for h in HEADERS[b]] + AMOUNT_HEADERS

    def cells(t: Any) -> list[Any]:
        dims = {
            "group": [t.group],
            "period": [t.period],
            "commune": [t.commune_code],
            "district": [t.district_code, t.district_name],
        }
        return [c for b in out.by for c in dims[b]] + [t.card_months, t.total, t.state, t.household]

    async def chunks() -> AsyncIterator[list[list[Any]]]:
        yield [cells(t) for t in out.totals]
        g = out.grand_total
        yield [
            ["Tổng cộng"]
            + [None] * (len(headers) - len(AMOUNT_HEADERS) - 1)
            + [g.card_months, g.total, g.state, g.household]
            if out.by
            else [g.card_months, g.total, g.state, g.household]
        ]

    name = f"dong-bhyt-{first}-{last}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "xlsx":
        return StreamingResponse(
            tabular.xlsx_stream(f"BHYT {first} {last}", headers, chunks()),
            media_type=tabular.XLSX_TYPE,
            headers=disposition,
        )
    return StreamingResponse(
        tabular.csv_stream(headers, chunks()), media_type="text/csv; charset=utf-8", headers=disposition
    )
