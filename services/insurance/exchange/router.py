"""HTTP surface of the exchange with the Social Insurance office (the gateway serves it under ``/insurance``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from common import tabular
from common.auth import Principal, require
from common.db import SessionDep
from common.tabular import XLSX_TYPE, read_upload

from ..models import IDEMPOTENCY
from ..rules import exchange_file as spec
from . import files, service
from .schemas import Action, ExceptionOut, ItemPage, ListIn, ListOut, ResolveIn, ResultsIn, ResultsOut

router = APIRouter(tags=["BHXH exchange"])

Exchange = Annotated[Principal, require("insurance:exchange")]
Officer = Annotated[Principal, require("insurance:write")]
MAX_BYTES = 32 * 1024 * 1024

_IDEMPOTENT = """Send an `Idempotency-Key` header: a retry with the same key and body replays the first response
(header `Idempotent-Replayed: true`) and records nothing again; the same key with another body gets `422`; while the
first request is still running, `409`."""

_RECORDING = """Per person: `issued` (with `card_code`, `valid_from`, optional `valid_to`) for enrol, renew and
change items, `ended` for end items, `rejected` (with `reason`) for any. Nothing is applied silently: a person who is
not on the list (or outside the client's areas), a card code whose object code, benefit level or province does not
match the group and the issuing office (86 from 2025-07-01), a second card for a person who holds one, a code already
used, an outcome the item did not ask for, or a different result for an item already answered are kept as
**exceptions** (listed in the answer and at `GET /insurance/lists/{id}/exceptions`) for an officer to resolve. The
same result again changes nothing (`unchanged`). A card issued for a change or a renewal ends the previous card the
day before. Publishes `insurance.card.issued.v1` per card (and `insurance.card.ended.v1` for a card it replaces)."""


def identities(request: Request) -> Any:
    return request.app.state.identities


@router.post("/lists", summary="Build a period's lists for BHXH (officer)", status_code=201, response_model=ListOut)
async def build_list(body: ListIn, request: Request, session: SessionDep, principal: Officer) -> ListOut:
    """Build the period's lists from the decided entitlements and the cards: **enrol** (entitled in the period, no
    card in force), **renew** (a 12-month card of a part-funded group ending in the period, still entitled),
    **change** (a card in force of another group than the one decided), **end** (cards ended here — a death, a
    termination, a loss of status — that BHXH was not told about, with the day they end). A person is on one list
    at a time until BHXH answers. `409` if the period's list exists. Publishes `insurance.list.ready.v1`."""
    settings = request.app.state.settings
    return await service.build(
        session,
        principal,
        body.period,
        identities(request),
        settings.identity_key.get_secret_value(),
        settings.province_code,
    )


@router.get("/lists", summary="Lists built so far", response_model=list[ListOut])
async def list_lists(session: SessionDep, principal: Exchange) -> list[ListOut]:
    """Every period's list, newest first, with its counts per action (within the client's areas)."""
    return await service.lists(session, principal)


@router.get("/lists/{list_id}/items", summary="A list's items (JSON, paged)", response_model=ItemPage)
async def list_items(
    list_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Exchange,
    action: Annotated[Action | None, Query(description="Only enrol, renew, change or end")] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> ItemPage:
    """The persons on the list within the client's areas, in a stable order: full name, date of birth, sex, national
    ID, address, household code (read from the registry for this answer; insurance keeps none of them), the group,
    benefit level and requested validity, the card changed or ended, and BHXH's result so far. Pages with `limit`
    (≤ 100) and `cursor`."""
    row = await service.get(session, list_id)
    items, next_cursor = await service.page(session, principal, row, identities(request), action, cursor, limit)
    return ItemPage(exchange_list=await service.out_for(session, principal, row), items=items, next_cursor=next_cursor)


_HEADERS_DOC = ", ".join(f"`{h}`" for h in files.HEADERS)


@router.get(
    "/lists/{list_id}/download",
    summary="Download a list (CSV, XLSX)",
    description=f"""The list within the client's areas as a file, streamed: CSV (UTF-8 with BOM) or XLSX, one
row per person, Vietnamese headers: {_HEADERS_DOC}. `Nghiệp vụ` is {
        ", ".join(f"`{v}` ({k})" for k, v in spec.ACTION_LABELS.items())
    }. Fill in the last five columns and upload the file to
`POST /insurance/lists/{{id}}/results/file`.""",
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def download_list(
    list_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Exchange,
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv (UTF-8 with BOM) or xlsx")] = "csv",
    action: Annotated[Action | None, Query(description="Only enrol, renew, change or end")] = None,
) -> StreamingResponse:
    """The list as a file (see the description)."""
    row = await service.get(session, list_id)
    maker, areas = request.app.state.sessionmaker, principal.limited_to
    name = f"danh-sach-bhyt-{row.period}{'-' + action if action else ''}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "xlsx":
        chunks = files.rows(maker, row, areas, action, identities(request), typed=True)
        return StreamingResponse(
            tabular.xlsx_stream(f"BHYT {row.period}", files.HEADERS, chunks), media_type=XLSX_TYPE, headers=disposition
        )
    return StreamingResponse(
        tabular.csv_stream(files.HEADERS, files.csv_rows(maker, row, areas, action, identities(request)), escaped=True),
        media_type="text/csv; charset=utf-8",
        headers=disposition,
    )


@router.post(
    "/lists/{list_id}/results",
    summary="Report BHXH's results",
    response_model=ResultsOut,
    description="Report results for persons of the list (at most 10,000 a request).\n\n"
    + _RECORDING
    + "\n\n"
    + _IDEMPOTENT,
)
async def report_results(
    list_id: uuid.UUID, body: ResultsIn, request: Request, response: Response, session: SessionDep, principal: Exchange
) -> ResultsOut | JSONResponse:
    """Report BHXH's results (see the description)."""

    async def work() -> tuple[ResultsOut, dict[str, str]]:
        return await service.record(session, principal, await service.get(session, list_id), body.results), {}

    return await IDEMPOTENCY.respond(session, principal, request, response, work, status=200)


_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_COLUMNS_DOC = "\n".join(f"- `{c.headers[1]}` (`{c.headers[0]}`): {c.description}" for c in spec.RESULT_COLUMNS)


@router.post(
    "/lists/{list_id}/results/file",
    summary="Upload a list file with the results",
    response_model=ResultsOut,
    openapi_extra=_FILE_BODY,
    description="""Upload the list's CSV or XLSX with the result columns filled in
(the body is the file). Headers are matched without case or diacritics; the list's own columns may stay and are
ignored; rows whose `Kết quả` is empty are not answered yet. **All or nothing:** any problem in the file (a column
missing, a date that cannot be read, a person twice, a result without what it needs) gets `422` listing every problem
with its `line`, `column` and `reason`, and nothing is recorded. Result columns:

"""
    + _COLUMNS_DOC
    + "\n\n"
    + _RECORDING
    + "\n\n"
    + _IDEMPOTENT,
)
async def upload_results(
    list_id: uuid.UUID, request: Request, response: Response, session: SessionDep, principal: Exchange
) -> ResultsOut | JSONResponse:
    """Upload the list file with the results (see the description)."""
    body = await read_upload(request, MAX_BYTES)

    async def work() -> tuple[ResultsOut, dict[str, str]]:
        row = await service.get(session, list_id)
        results = files.read_results(body, request.headers.get("content-type"))
        return await service.record(session, principal, row, results), {}

    return await IDEMPOTENCY.respond(session, principal, request, response, work, status=200)


@router.get("/lists/{list_id}/exceptions", summary="Results kept aside", response_model=list[ExceptionOut])
async def list_exceptions(list_id: uuid.UUID, session: SessionDep, principal: Exchange) -> list[ExceptionOut]:
    """BHXH results that were not applied (see `POST /insurance/lists/{id}/results`), oldest first."""
    return await service.exceptions(session, principal, await service.get(session, list_id))


@router.post(
    "/exceptions/{exception_id}/resolve", summary="Resolve an exception (officer)", response_model=ExceptionOut
)
async def resolve_exception(
    exception_id: uuid.UUID, body: ResolveIn, session: SessionDep, principal: Officer
) -> ExceptionOut:
    """Record how an officer resolved an exception (e.g. the corrected card was posted again); the exception itself
    applies nothing."""
    return await service.resolve(session, principal, exception_id, body.resolution)
