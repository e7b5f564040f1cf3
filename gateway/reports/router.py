"""``GET /reports/annual``: the year-end report, composed by the gateway from the services' report endpoints."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import aiohttp
import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from common.auth import Principal, require

from . import compose, render

router = APIRouter(tags=["reports"])
log = structlog.get_logger("gateway.reports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def fetcher(request: Request, principal: Principal) -> compose.Fetch:
    upstreams = request.app.state.upstreams
    token = request.app.state.signer.sign(compose.internal_claims(principal))
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "X-Request-ID": request.headers.get("x-request-id", ""),
    }

    async def fetch(service: str, path: str, query: dict[str, Any]) -> dict[str, Any] | None:
        session = upstreams.sessions.get(service)
        if session is None:
            return None
        try:
            async with session.get(path, params={k: str(v) for k, v in query.items()}, headers=headers) as resp:
                if resp.status != 200:
                    log.warning("annual_report_section_failed", service=service, path=path, status=resp.status)
                    return None
                body: dict[str, Any] = await resp.json(content_type=None)
                return body
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("annual_report_section_failed", service=service, path=path, error=type(exc).__name__)
            return None

    return fetch


@router.get(
    "/reports/annual",
    summary="The year-end report",
    responses={200: {"content": {"text/html": {}, "application/pdf": {}, XLSX: {}}}},
)
async def annual_report(
    request: Request,
    principal: Annotated[Principal, require("reports:read")],
    year: Annotated[int, Query(ge=2000, le=2100, description="The year reported")],
    units: Annotated[
        Literal["recorded", "2025"],
        Query(description="Monthly allowance by old district (`recorded`) or by 2025 commune (`2025`)"),
    ] = "recorded",
    lang: Annotated[Literal["vi", "en"], Query(description="Labels in Vietnamese (default) or English")] = "vi",
    format: Annotated[
        Literal["json", "html", "pdf", "xlsx"],
        Query(description="`html`: a printable page; `pdf`: the same on A4; `xlsx`: one sheet per section"),
    ] = "json",
) -> Any:
    """The province's year-end report, within the caller's areas: monthly allowance (beneficiaries at year end by
    category and unit, the year's ledger: regular, arrears, recoveries, paid, carried, returned), electricity
    support, artisans, longevity gifts, emergency relief, residential centres (residents by group, donations) and
    payment through the post office. Each figure comes from the service that owns it (`sources` names the
    endpoint); a section a service does not offer is marked `available: false`, never estimated."""
    sections = await compose.annual(fetcher(request, principal), year, units)
    day = compose.today().isoformat()
    if format == "html":
        return HTMLResponse(render.as_html(year, sections, lang, day))
    if format == "pdf":
        # Rendering is CPU work (the first PDF of a process also makes its fonts): off the event loop, so the
        # gateway keeps proxying meanwhile.
        pdf = await run_in_threadpool(render.as_pdf, year, sections, lang, day)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="bao-cao-nam-{year}.pdf"'},
        )
    if format == "xlsx":
        xlsx = await run_in_threadpool(render.as_xlsx, year, sections, lang)
        return Response(
            xlsx, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="bao-cao-nam-{year}.xlsx"'}
        )
    return {"year": year, "units": units, "lang": lang, "made_on": day, "sections": [s.as_dict(lang) for s in sections]}
