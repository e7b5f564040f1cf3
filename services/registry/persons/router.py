"""HTTP routes of the persons feature (the gateway serves them under ``/registry``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

import orjson
import structlog
from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from common.auth import Principal, purpose_header, require, stated_purpose
from common.db import SessionDep
from common.errors import Forbidden

from ..history.schemas import HistoryPage
from ..models import IDEMPOTENCY
from . import service as persons_service
from .schemas import (
    IdentitiesIn,
    IdentitiesOut,
    PersonCreate,
    PersonCreated,
    PersonOut,
    PersonPage,
    PersonPatch,
    SensitivePersonOut,
)

router = APIRouter(prefix="/persons", tags=["persons"])
log = structlog.get_logger("registry.persons")

Include = Annotated[
    Literal["sensitive"] | None,
    Query(
        description="`sensitive` adds the sensitive fields (HIV status). Needs the registry:sensitive scope and an "
        "`X-Purpose` header; every such read is audited (who, when, which record, purpose)."
    ),
]
Purpose = Annotated[str | None, purpose_header("Why sensitive fields are read; required with include=sensitive")]


def _sensitive(
    request: Request, principal: Principal, include: str | None, purpose: str | None
) -> persons_service.SensitiveRequest | None:
    if include != "sensitive":
        return None
    if not principal.has(persons_service.SENSITIVE_SCOPE):
        raise Forbidden(f"include=sensitive needs the {persons_service.SENSITIVE_SCOPE} scope")
    stated = stated_purpose(purpose, "required when reading sensitive fields (include=sensitive)")
    return persons_service.SensitiveRequest(stated, request.scope.get("request_id"))


def _out(person: object, sensitive: bool = False) -> PersonOut:
    model = SensitivePersonOut if sensitive else PersonOut
    return model.model_validate(person, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PersonCreated)
async def register_person(
    body: PersonCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, require("registry:write")],
) -> PersonCreated | JSONResponse:
    """Register a person.

    The name is stored as written (Unicode NFC); searches match it with or without diacritics. The national
    ID, when given, must agree with the date of birth and sex (century/sex digit and birth year); every
    problem is reported at once in `errors`. The commune must be a commune in force today and within the
    client's areas; its district and province are derived from it. A national ID already registered gets
    `409` with `existing`, the address of the existing record. `hiv_status` may be set only by a client
    holding `registry:sensitive`, and is never returned here.

    A record that may duplicate another (same name without diacritics and date of birth in the commune, or same
    name and birth year in a household; never two different national IDs) is registered all the same and flagged:
    `possible_duplicates` lists the other records and the header `X-Possible-Duplicates` counts them; an officer
    merges or dismisses the pair at `GET /persons/possible-duplicates`.

    Returns the person with `ETag` (its version, for `If-Match` on updates) and `Location`. Publishes
    `registry.person.registered.v1`. Send an `Idempotency-Key` header to make retries safe: the same key
    and body replay the first response (`Idempotent-Replayed: true`) without registering twice.
    """

    async def work() -> tuple[PersonCreated, dict[str, str]]:
        person, partners = await persons_service.register(session, principal, body)
        out = PersonCreated.model_validate({**_out(person).model_dump(), "possible_duplicates": partners})
        headers = {"ETag": persons_service.etag(person), "Location": persons_service.location(person.id)}
        if partners:
            headers["X-Possible-Duplicates"] = str(len(partners))
        return out, headers

    return await IDEMPOTENCY.respond(session, principal, request, response, work)


@router.post("/identities", response_model=IdentitiesOut, summary="Identity fields of many persons (stated purpose)")
async def identities(
    body: IdentitiesIn,
    session: SessionDep,
    principal: Annotated[Principal, require("registry:read")],
    purpose: Annotated[str | None, purpose_header("Why the identities are read (required; logged)")] = None,
) -> Response:
    """Name, date of birth, sex, national ID, address and household code of up to 1,000 persons at once, for
    services and partners that must name people on a list they send elsewhere (the insurance service's lists for
    the Social Insurance office) without keeping a copy. Within the client's areas; ids not found are left out.
    Never a sensitive field. `X-Purpose` is required: each call is logged with the client, the purpose and the count
    (`identities_read`)."""
    purpose = stated_purpose(purpose, "required: why the identities are read")
    rows = await persons_service.identities(session, principal, body.ids)
    log.info("identities_read", client_id=principal.client_id, purpose=purpose, asked=len(body.ids), found=len(rows))
    # Serialised straight from the rows (the columns are IdentityOut's, by name): a model per person cost about as
    # much as the query for the insurance lists' 1,000-person calls.
    return Response(orjson.dumps({"items": [r._asdict() for r in rows]}, default=str), media_type="application/json")


@router.get("", response_model=PersonPage)
async def search_persons(
    session: SessionDep,
    principal: Annotated[Principal, require("registry:read")],
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Name, with or without diacritics; "
            "matches any part of the name (`nguyen thi lan` finds `Nguyễn Thị Lan`)",
        ),
    ] = None,
    commune_code: Annotated[str | None, Query(max_length=10)] = None,
    district_code: Annotated[str | None, Query(max_length=10)] = None,
    born_from: Annotated[date | None, Query(description="Born on or after this date")] = None,
    born_to: Annotated[date | None, Query(description="Born on or before this date")] = None,
    cursor: Annotated[str | None, Query(max_length=1000, description="`next_cursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> PersonPage:
    """Search persons, always within the client's areas, ordered by name (then id).

    Pages with `limit` (at most 100) and the opaque `cursor` / `next_cursor`. Sensitive fields are never
    listed.
    """
    rows, next_cursor = await persons_service.search(
        session,
        principal,
        q=q,
        commune_code=commune_code,
        district_code=district_code,
        born_from=born_from,
        born_to=born_to,
        cursor=cursor,
        limit=limit,
    )
    return PersonPage(items=[_out(p) for p in rows], next_cursor=next_cursor)


@router.get("/{person_id:uuid}", response_model=PersonOut | SensitivePersonOut)
async def read_person(
    person_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, require("registry:read")],
    include: Include = None,
    purpose: Purpose = None,
) -> PersonOut:
    """Read a person.

    `404` when the person does not exist or lies outside the client's areas. With `include=sensitive`
    (scope `registry:sensitive` and header `X-Purpose` required) the response adds `hiv_status` and the
    read is recorded in the audit of sensitive reads. The `ETag` header carries the version for `If-Match`.
    """
    sensitive = _sensitive(request, principal, include, purpose)
    person, shown = await persons_service.read(session, principal, person_id, sensitive)
    response.headers["ETag"] = persons_service.etag(person)
    return _out(person, shown)


@router.patch("/{person_id:uuid}", response_model=PersonOut)
async def update_person(
    person_id: uuid.UUID,
    body: PersonPatch,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, require("registry:write")],
    if_match: Annotated[str | None, Header(alias="If-Match", description="The ETag of the version read")] = None,
) -> PersonOut:
    """Correct a person's record (JSON merge patch: only the fields sent change; `null` clears an optional one).

    Needs `If-Match` with the ETag last read: missing → `428`, stale → `412` with the current version, so
    an update never silently overwrites another. The same checks as registration apply. `reason` is kept
    in the record's history. Publishes `registry.person.updated.v1` naming the changed fields (never their
    values); a change of sensitive fields alone publishes nothing.
    """
    person = await persons_service.update(session, principal, person_id, if_match, body)
    response.headers["ETag"] = persons_service.etag(person)
    return _out(person)


@router.get("/{person_id:uuid}/history", response_model=HistoryPage)
async def person_history(
    person_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require("registry:read")],
    include: Include = None,
    purpose: Purpose = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> HistoryPage:
    """Every change to a person's record, newest first: who, when, why, the values before and after.

    Sensitive values appear as `"[redacted]"` unless requested with `include=sensitive` (scope
    `registry:sensitive`, header `X-Purpose`; audited).
    """
    sensitive = _sensitive(request, principal, include, purpose)
    items, next_cursor = await persons_service.history(session, principal, person_id, sensitive, cursor, limit)
    return HistoryPage.model_validate({"items": items, "next_cursor": next_cursor})
