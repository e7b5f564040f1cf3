"""HTTP surface of postal disbursement (the gateway serves it under ``/payments``): the payment organisation's
batches, their files, and the results it reports."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from common.auth import Principal, require
from common.db import SessionDep
from common.tabular import XLSX_TYPE, read_upload

from ..models import IDEMPOTENCY
from ..rules import postal
from . import files, service
from .schemas import BatchOut, BatchPage, BatchStatus, ResultIn, ResultsIn, ResultsOut

router = APIRouter(tags=["postal disbursement"])

Disburser = Annotated[Principal, require("payments:disburse")]
MAX_BYTES = 32 * 1024 * 1024

_IDEMPOTENT = """Send an `Idempotency-Key` header: a retry with the same key and body replays the first response
(header `Idempotent-Replayed: true`) and records nothing again; the same key with another body gets `422`; while
the first request is still running, `409`."""

_RECORDING = """The first result reported for a line stands. The same result again changes nothing (`unchanged`);
a different one is kept aside as a `reported_twice` exception for the department's officer (`conflict`); a result for
a line that is not in the batch raises an `unknown_line` exception; a paid `amount` other than the line's total is
recorded as reported and raises an `amount_mismatch` exception. Nothing is corrected silently.

`paid` needs `paid_on`, `paid_to` (`beneficiary`, or `proxy` with `proxy_name`), `receipt_number` and `amount`
(whole VND); `unpaid` (carried to the next payroll) and `returned` (the money goes back) need a `reason`.
Publishes `payments.line.paid.v1` or `payments.line.unpaid.v1` per line recorded, and
`payments.beneficiary.unpaid_3_months.v1` when a beneficiary received nothing three months in a row."""


@router.get("/batches", summary="Batches of pay points", response_model=BatchPage)
async def list_batches(
    session: SessionDep,
    principal: Disburser,
    payroll: Annotated[uuid.UUID | None, Query(description="Only this payroll's batches")] = None,
    status: Annotated[BatchStatus | None, Query()] = None,
    commune_code: Annotated[str | None, Query(max_length=10, description="Only this pay point")] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> BatchPage:
    """Batches within the client's areas, by commune: one per approved payroll and pay point (commune), with its
    control totals (`line_count`, `amount`), deadline, what was reported so far and the postal fee. Pages with
    `limit` (≤ 100) and `cursor`."""
    rows, next_cursor = await service.search(
        session, principal, payroll_id=payroll, status=status, commune_code=commune_code, cursor=cursor, limit=limit
    )
    return BatchPage(items=[service.out(r) for r in rows], next_cursor=next_cursor)


@router.get("/batches/{batch_id}", summary="A batch", response_model=BatchOut)
async def read_batch(batch_id: uuid.UUID, session: SessionDep, principal: Disburser) -> BatchOut:
    """A batch with its control totals and what was reported (`404` when missing or outside the client's areas)."""
    return service.out(await service.get_visible(session, principal, batch_id))


_HEADERS_DOC = ", ".join(f"`{h}`" for h in files.HEADERS)


_DOWNLOAD_DOC = f"""The batch's lines, streamed, one row per line in line order. CSV and XLSX have Vietnamese headers:
{_HEADERS_DOC}. The last six columns are the results: empty until reported (a line already reported shows its
result). Fill them in and upload the file to `POST /payments/batches/{{id}}/results/file`. `Số tiền` is what to pay
(= `Thường xuyên` + `Truy lĩnh` + `Thu hồi` (negative) + `Kỳ trước chuyển sang`). JSON:
`{{"batch": {{…}}, "lines": [{{"n", "line_id", "recipient_name", …, "result"}}]}}`."""


@router.get(
    "/batches/{batch_id}/download",
    summary="Download a batch (JSON, CSV, XLSX)",
    description=_DOWNLOAD_DOC,
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/csv": {"schema": {"type": "string"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def download_batch(
    batch_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Disburser,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json, csv (UTF-8 with BOM) or xlsx")] = "csv",
) -> StreamingResponse:
    """The batch's lines as a file (see the description)."""
    batch = await service.get_visible(session, principal, batch_id)
    maker = request.app.state.sessionmaker
    name = f"bang-chi-tra-{batch.programme}-{batch.period}-{batch.commune_code}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return StreamingResponse(
            files.csv_stream(maker, batch), media_type="text/csv; charset=utf-8", headers=disposition
        )
    if format == "xlsx":
        return StreamingResponse(files.xlsx_stream(maker, batch), media_type=XLSX_TYPE, headers=disposition)
    head = service.out(batch).model_dump(mode="json")
    return StreamingResponse(files.json_stream(maker, batch, head), media_type="application/json")


@router.post(
    "/batches/{batch_id}/results",
    summary="Report results for lines of a batch",
    response_model=ResultsOut,
    description="Report the results of many lines of one batch (at most 10,000 a request; a line listed "
    "twice gets `422`).\n\n" + _RECORDING + "\n\n" + _IDEMPOTENT,
)
async def report_results(
    batch_id: uuid.UUID,
    body: ResultsIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Disburser,
) -> ResultsOut | JSONResponse:
    """Report the results of many lines of one batch (see the description)."""

    async def work() -> tuple[ResultsOut, dict[str, str]]:
        batch = await service.get_visible(session, principal, batch_id, for_update=True)
        return await service.record(session, principal, batch, body.results), {}

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
_RESULT_COLUMNS_DOC = "\n".join(
    f"- `{c.headers[1]}` (`{c.headers[0]}`): {c.description}" for c in postal.RESULT_COLUMNS
)


_UPLOAD_DOC = (
    """Upload the batch's CSV or XLSX with the result columns filled in (the body is the file: `text/csv`,
UTF-8 with or without BOM, or XLSX). Headers are matched without case or diacritics; the batch's own columns may stay
and are ignored. Rows whose `Kết quả` is empty are not reported yet.

**All or nothing:** the whole file is checked first; any problem (a missing or unknown column, a line that is
not in the batch, a line twice, a date or amount that cannot be read — negative or not a whole number —, a
result without what it needs, a file that is not UTF-8 or not a readable XLSX) gets `422` listing every
problem with its `line` (the header is line 1), `column` (as written in the file) and `reason`, and nothing is
recorded. A file without problems is recorded like `POST /payments/batches/{id}/results`.

Result columns:
"""
    + _RESULT_COLUMNS_DOC
    + "\n\n"
    + _RECORDING
    + "\n\n"
    + _IDEMPOTENT
)


@router.post(
    "/batches/{batch_id}/results/file",
    summary="Upload a batch file filled in",
    response_model=ResultsOut,
    openapi_extra=_FILE_BODY,
    description=_UPLOAD_DOC,
)
async def upload_results(
    batch_id: uuid.UUID, request: Request, response: Response, session: SessionDep, principal: Disburser
) -> ResultsOut | JSONResponse:
    """Upload the batch file filled in (see the description)."""
    body = await read_upload(request, MAX_BYTES)

    async def work() -> tuple[ResultsOut, dict[str, str]]:
        return await service.record_file(session, principal, batch_id, body, request.headers.get("content-type")), {}

    return await IDEMPOTENCY.respond(session, principal, request, response, work, status=200)


@router.post(
    "/lines/{line_id}/result",
    summary="Report the result of one line",
    response_model=ResultsOut,
    description="Report the result of one line (`404` for a line in no batch within the client's areas)."
    "\n\n" + _RECORDING + "\n\n" + _IDEMPOTENT,
)
async def report_line(
    line_id: uuid.UUID, body: ResultIn, request: Request, response: Response, session: SessionDep, principal: Disburser
) -> ResultsOut | JSONResponse:
    """Report the result of one line (see the description)."""

    async def work() -> tuple[ResultsOut, dict[str, str]]:
        return await service.record_line(session, principal, line_id, body.model_dump()), {}

    return await IDEMPOTENCY.respond(session, principal, request, response, work, status=200)
