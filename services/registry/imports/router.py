"""HTTP routes of bulk imports (the gateway serves them under ``/registry``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from common.auth import Principal, require
from common.db import SessionDep
from common.tabular import XLSX_TYPE, read_upload

from ..models import IDEMPOTENCY, ImportRecord
from ..rules.imports import COLUMNS
from . import service as imports_service
from .schemas import ImportOut, ImportPage, ImportSummary, Kind

router = APIRouter(prefix="/imports", tags=["imports"])


def _columns_doc() -> str:
    out = []
    for kind, columns in COLUMNS.items():
        lines = [
            f"- `{c.headers[0]}`"
            + (f" / {', '.join(f'`{h}`' for h in c.headers[1:])}" if c.headers[1:] else "")
            + (" (**required**)" if c.required else "")
            + (f": {c.description}" if c.description else "")
            for c in columns
        ]
        out.append(f"**{kind}**:\n\n" + "\n".join(lines))
    return "\n\n".join(out)


_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def _out(record: ImportRecord) -> ImportOut:
    return ImportOut.model_validate(
        {
            **{k: getattr(record, k) for k in ImportSummary.model_fields},
            "problems": record.problems,
            "problems_truncated": record.problems_total > len(record.problems),
        }
    )


_DESCRIPTION = """Import a file of persons, households, applications or study periods: every row is checked, the
valid ones are imported.

Send the file itself as the body: CSV as `text/csv` (UTF-8, with or without BOM; separated by `,`, `;`
or tabs) or Excel as `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` (the first sheet).
The first non-blank row is the header. Headers are matched without case or diacritics, so `Họ và tên`,
`HO VA TEN` and `full_name` are the same column; a `STT` column is ignored. Dates are `YYYY-MM-DD` or
`DD/MM/YYYY` (or date cells). Numeric cells of code columns get back the leading zeros Excel dropped.

Each row is checked by the rules of the single-record API (`POST /persons`, `POST /households`,
`POST /applications`): national ID against date of birth and sex, commune in force today and within
the client's areas, and so on. Valid rows are imported; every problem is listed with its `line` (the
header is line 1), `column` (as written in the file) and `reason`. A household is imported whole or not
at all.

**Re-importing is safe:** rows already registered count as `duplicates` and change nothing — persons by
national ID (without one: by name without diacritics + date of birth + commune), households by code,
applications by person + categories while still pending, study periods by person + kind + from + to. Two
uploads of one file at once do not both import it.

Each imported record is exactly what the single-record API would have made: change history (reason
`import <id>`), and events (`registry.person.registered.v1`, `registry.household.poverty_status_changed.v1`,
`registry.person.study_changed.v1`). Study periods (`kind=study_periods`, one row per period, the person by national
ID) follow `POST /persons/{id}/study-periods` row by row — a period overlapping another is a row problem — and the
entitlement schedules of the persons concerned and of their households' single parents are recomputed once.

`422` for a header that does not fit (naming the unknown and missing columns), a file that is not UTF-8,
not a readable XLSX, or empty; `413` above 32 MiB or 100,000 rows; `415` for another media type.
Returns the import's record (`201`, `Location`), also readable later at `GET /imports/{id}`. An
`Idempotency-Key` header replays the first response to a retry.

Columns:

""" + _columns_doc()


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportOut,
    openapi_extra=_FILE_BODY,
    description=_DESCRIPTION,
)
async def import_file(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, require("registry:write")],
    kind: Annotated[
        Kind,
        Query(description="What the rows are: persons, households (one row per member), applications or study_periods"),
    ],
) -> ImportOut | JSONResponse:
    """Import a file of persons, households, applications or study periods (the description above says how)."""
    body = await read_upload(request, imports_service.MAX_BYTES)

    async def work() -> tuple[ImportOut, dict[str, str]]:
        record = await imports_service.run(session, principal, kind, body, request.headers.get("content-type"))
        return _out(record), {"Location": imports_service.location(record.id)}

    return await IDEMPOTENCY.respond(session, principal, request, response, work)


@router.get("", response_model=ImportPage)
async def list_imports(
    session: SessionDep,
    principal: Annotated[Principal, require("registry:read")],
    cursor: Annotated[str | None, Query(max_length=1000, description="`next_cursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ImportPage:
    """The client's imports, newest first (an `admin` client sees every client's), without their problems.

    Pages with `limit` (at most 100) and `cursor` / `next_cursor`.
    """
    rows, next_cursor = await imports_service.page(session, principal, cursor, limit)
    return ImportPage(
        items=[ImportSummary.model_validate(r, from_attributes=True) for r in rows], next_cursor=next_cursor
    )


@router.get("/{import_id}", response_model=ImportOut)
async def read_import(
    import_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, require("registry:read")]
) -> ImportOut:
    """One import with its counts and problems. `404` unless the client made it (or is `admin`)."""
    return _out(await imports_service.get(session, principal, import_id))
