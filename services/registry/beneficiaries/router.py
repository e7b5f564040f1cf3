"""HTTP routes of applications and beneficiaries (the gateway serves them under ``/registry``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse

from common.auth import Principal, require
from common.db import SessionDep

from ..deaths import service as deaths
from ..models import IDEMPOTENCY, Application
from ..parameters.service import load_parameters
from ..rules.entitlements import MonthEntitlement
from ..rules.months import Month
from . import service
from .schemas import (
    ApplicationCreate,
    ApplicationOut,
    Approval,
    ArrearsIn,
    ArrearsMonth,
    ArrearsOut,
    BeneficiaryOut,
    BeneficiaryPage,
    BeneficiarySummary,
    BulkApproval,
    BulkApprovalOut,
    BulkApprovalResult,
    CountedChildOut,
    DecisionIn,
    DecisionOut,
    DecisionPage,
    EntitlementsOut,
    LineOut,
    MonthOut,
    Rejection,
)

router = APIRouter(tags=["beneficiaries"])

Reader = Annotated[Principal, require("registry:read")]
Writer = Annotated[Principal, require("registry:write")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="The ETag of the beneficiary version read")]


def _application(app: Application) -> ApplicationOut:
    return ApplicationOut.model_validate(app, from_attributes=True)


def _beneficiary(view: service.BeneficiaryView, response: Response) -> BeneficiaryOut:
    row = view.row
    response.headers["ETag"] = service.etag(row)
    return BeneficiaryOut(
        id=row.id,
        person_id=row.person_id,
        application_id=row.application_id,
        status=row.status,  # type: ignore[arg-type]
        version=row.version,
        categories=view.categories,
        decisions=[
            DecisionOut(
                id=d.id,
                kind=d.kind,
                number=d.number,
                signed_on=d.signed_on,
                authority=d.authority,
                effective_month=Month.of(d.effective_month),
                categories=d.categories,
                reason=d.reason,
                death_date=d.death_date,
                decided_by=d.decided_by,
                recorded_at=d.recorded_at,
            )
            for d in view.decisions
        ],
    )


def _month(e: MonthEntitlement) -> MonthOut:
    lines = [
        LineOut(
            category=x.category,
            coefficient=str(x.coefficient),
            standard_level=x.standard_level,
            amount=x.amount,
            legal_basis=x.legal_basis,
            children=x.children,
            children_counted=[
                CountedChildOut(person_id=uuid.UUID(c.person_id), full_name=c.name, basis=c.basis)  # type: ignore[arg-type]
                for c in x.counted
            ],
        )
        for x in e.lines
    ]
    first = lines[0] if lines else None
    return MonthOut(
        month=e.month,
        amount=e.amount,
        category=first.category if first else None,
        coefficient=first.coefficient if first else None,
        standard_level=first.standard_level if first else None,
        legal_basis=first.legal_basis if first else None,
        reason=e.reason.value if e.reason else None,
        detail=e.detail,
        lines=lines,
    )


@router.post("/applications", status_code=status.HTTP_201_CREATED, response_model=ApplicationOut)
async def submit_application(
    body: ApplicationCreate, request: Request, response: Response, session: SessionDep, principal: Writer
) -> ApplicationOut | JSONResponse:
    """Submit an application for the monthly social allowance for a registered person.

    `categories` must be codes of the category rules (e.g. `5.5a`); unknown codes get `422` naming each. The
    person must be within the client's areas. Returns the application (status `submitted`) with `Location`.
    Another client must approve or reject it (maker-checker). An `Idempotency-Key` header makes retries safe.
    """

    async def work() -> tuple[ApplicationOut, dict[str, str]]:
        app = await service.submit(session, principal, body)
        return _application(app), {"Location": service.application_location(app.id)}

    return await IDEMPOTENCY.respond(session, principal, request, response, work)


@router.post("/applications/approvals", response_model=BulkApprovalOut)
async def bulk_approve_applications(
    body: BulkApproval, request: Request, response: Response, session: SessionDep, principal: Writer
) -> BulkApprovalOut | JSONResponse:
    """Approve many submitted applications in one request (up to 1,000 items), each item as
    `POST /applications/{id}/approve` would: its own decision (number, signing date, authority, effective month),
    maker-checker (an application this client submitted is refused), every check of the single approval.

    Each item names the application (`application_id`) or the person whose one submitted application it is
    (`person_id`, e.g. after `POST /imports?kind=applications`). Items are independent: a refused item changes
    nothing and the others go on. The answer (`200`) lists every item by `index` (its position in the request)
    with `status` `201` and `beneficiary_id`, or the item's RFC 9457 `problem` (`403` maker-checker, `404` no
    such application or person within the client's areas, `409` already decided / already a beneficiary with
    `existing`, `422` with `errors` naming `body.items.<index>.<field>`). A malformed body is a `422` for the
    whole request. Events as for single approvals; the schedules of the approved beneficiaries are computed
    together. An `Idempotency-Key` header replays the first answer to a retry; sent again without one, items
    already approved answer `409` with `existing` (the beneficiary) and approve nothing twice.
    """

    async def work() -> tuple[BulkApprovalOut, dict[str, str]]:
        outcomes = await service.approve_many(session, principal, body.items)
        items = [
            BulkApprovalResult(
                index=o.index,
                status=o.error.status if o.error else 201,
                application_id=o.application_id,
                person_id=o.person_id,
                beneficiary_id=o.beneficiary_id,
                problem=o.error.to_problem() if o.error else None,
            )
            for o in outcomes
        ]
        approved = sum(1 for i in items if i.status == 201)
        return BulkApprovalOut(approved=approved, refused=len(items) - approved, items=items), {}

    return await IDEMPOTENCY.respond(session, principal, request, response, work, status=200)


@router.get("/applications/{application_id:uuid}", response_model=ApplicationOut)
async def read_application(application_id: uuid.UUID, session: SessionDep, principal: Reader) -> ApplicationOut:
    """Read an application (`404` when missing or outside the client's areas)."""
    app, _ = await service.get_application(session, principal, application_id)
    return _application(app)


@router.post(
    "/applications/{application_id}/approve", status_code=status.HTTP_201_CREATED, response_model=BeneficiaryOut
)
async def approve_application(
    application_id: uuid.UUID, body: Approval, response: Response, session: SessionDep, principal: Writer
) -> BeneficiaryOut:
    """Approve a submitted application: the person becomes a beneficiary under its categories.

    **Maker-checker:** the client that submitted the application gets `403`. An application already decided
    gets `409`; a person who already is a beneficiary gets `409` with `existing`. Records an `approve`
    decision (number, signing date, authority, effective month `YYYY-MM`) and publishes
    `registry.beneficiary.approved.v1`. Returns the beneficiary with `ETag` and `Location`.
    """
    view = await service.approve(session, principal, application_id, body)
    response.headers["Location"] = service.location(view.row.id)
    return _beneficiary(view, response)


@router.post("/applications/{application_id}/reject", response_model=ApplicationOut)
async def reject_application(
    application_id: uuid.UUID, body: Rejection, session: SessionDep, principal: Writer
) -> ApplicationOut:
    """Reject a submitted application with a reason (`409` when already decided)."""
    return _application(await service.reject(session, principal, application_id, body))


@router.get("/beneficiaries", response_model=BeneficiaryPage)
async def search_beneficiaries(
    session: SessionDep,
    principal: Reader,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Name, with or without diacritics; matches any "
            "part of the name (`tran van ba` finds `Trần Văn Ba`)",
        ),
    ] = None,
    category: Annotated[
        str | None, Query(max_length=20, description="A category currently granted, e.g. `5.5a`")
    ] = None,
    status_: Annotated[Literal["active", "suspended", "terminated", "deceased"] | None, Query(alias="status")] = None,
    commune_code: Annotated[str | None, Query(max_length=10)] = None,
    district_code: Annotated[str | None, Query(max_length=10)] = None,
    age_from: Annotated[int | None, Query(ge=0, le=150, description="Aged at least this today")] = None,
    age_to: Annotated[int | None, Query(ge=0, le=150, description="Aged at most this today")] = None,
    poverty_status: Annotated[
        Literal["poor", "near_poor", "average_living_farming", "none"] | None,
        Query(description="The current poverty status of the person's household"),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=1000, description="`next_cursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> BeneficiaryPage:
    """Search beneficiaries, always within the client's areas, ordered by the person's name (then id).

    Filters combine with AND. `category` matches the categories in force (the latest approval or category
    change); `age_from`/`age_to` are ages today in whole years. Pages with `limit` (at most 100) and the
    opaque `cursor` / `next_cursor`.
    """
    found, next_cursor = await service.search(
        session,
        principal,
        q=q,
        category=category,
        status=status_,
        commune_code=commune_code,
        district_code=district_code,
        age_from=age_from,
        age_to=age_to,
        poverty_status=poverty_status,
        cursor=cursor,
        limit=limit,
    )
    return BeneficiaryPage(
        next_cursor=next_cursor,
        items=[
            BeneficiarySummary(
                id=f.row.id,
                person_id=f.person.id,
                full_name=f.person.full_name,
                date_of_birth=f.person.date_of_birth,
                sex=f.person.sex,
                commune_code=f.person.commune_code,
                district_code=f.person.district_code,
                province_code=f.person.province_code,
                status=f.row.status,  # type: ignore[arg-type]
                categories=f.categories,
                poverty_status=f.poverty_status,
                version=f.row.version,
            )
            for f in found
        ],
    )


@router.get(
    "/beneficiaries/entitlements",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/x-ndjson": {}},
            "description": "One JSON object per line, one line per beneficiary-month",
        }
    },
)
async def bulk_entitlements(
    request: Request,
    session: SessionDep,
    principal: Reader,
    from_: Annotated[str, Query(alias="from", description="First month, YYYY-MM")],
    to: Annotated[str, Query(description="Last month, YYYY-MM (at most 24 months from `from`)")],
    commune_code: Annotated[str | None, Query(max_length=10)] = None,
    district_code: Annotated[str | None, Query(max_length=10)] = None,
    province_code: Annotated[str | None, Query(max_length=10)] = None,
) -> StreamingResponse:
    """Entitlements of every matching beneficiary for each month of the range, for the payments service.

    Always limited to the client's areas, narrowed by `commune_code` / `district_code` / `province_code`.
    At most 24 months (`422` otherwise). Streamed as NDJSON (`application/x-ndjson`): one line per
    beneficiary-month, beneficiaries in id order, months in order, with `beneficiary_id`, `person_id`, `month`,
    `category`, `coefficient`, `standard_level`, `amount`, `commune_code` and `reason` (why nothing is payable;
    null when `amount` > 0). Amounts are those of `GET /beneficiaries/{id}/entitlements`; `category` and
    `coefficient` are of the first category paid when several are.

    Loading is set-based: the parameter tables once, then beneficiaries in chunks of 1,000 (keyset on id), each
    chunk with its persons in one query and all their decisions in one more, so memory stays flat however
    many beneficiaries there are.
    """
    first, last = service.parse_bulk_range(from_, to)
    parameters = await load_parameters(session)
    lines = service.bulk_entitlements(
        request.app.state.sessionmaker,
        parameters,
        principal,
        first,
        last,
        commune_code=commune_code,
        district_code=district_code,
        province_code=province_code,
    )

    async def body() -> AsyncIterator[bytes]:
        async for line in lines:
            yield (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

    return StreamingResponse(body(), media_type="application/x-ndjson")


@router.get("/beneficiaries/{beneficiary_id}", response_model=BeneficiaryOut)
async def read_beneficiary(
    beneficiary_id: uuid.UUID, response: Response, session: SessionDep, principal: Reader
) -> BeneficiaryOut:
    """A beneficiary: status, current categories and every decision, oldest first. `ETag` is the version."""
    return _beneficiary(await service.get_visible(session, principal, beneficiary_id), response)


@router.post(
    "/beneficiaries/{beneficiary_id}/decisions", status_code=status.HTTP_201_CREATED, response_model=BeneficiaryOut
)
async def record_decision(
    beneficiary_id: uuid.UUID,
    body: DecisionIn,
    response: Response,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> BeneficiaryOut:
    """Record a decision about a beneficiary; decisions are never changed or deleted.

    Kinds: `suspend` (reason; not paid from `effective_month` until reinstated), `reinstate` (paid again from
    `effective_month`), `terminate` (reason; `effective_month` is the first month not paid),
    `record_death` (`death_date`; nothing is owed from the month after the month of death), `change_category`
    (`categories` from `effective_month`). Needs `If-Match` with the beneficiary's ETag (`428` missing, `412`
    stale). A decision not allowed in the current status gets `409`. Publishes
    `registry.beneficiary.suspended.v1`, `.reinstated.v1` or `.terminated.v1` (a death: reason `death`).
    """
    record = deaths.record_decision if body.kind == "record_death" else service.record_decision
    return _beneficiary(await record(session, principal, beneficiary_id, if_match, body), response)


@router.get("/beneficiaries/{beneficiary_id}/decisions", response_model=DecisionPage)
async def decision_history(
    beneficiary_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> DecisionPage:
    """The decisions about a beneficiary, newest first, as `GET /persons/{id}/history` lists a person's changes.

    Each item is the decision as recorded (who: `decided_by`; when: `recorded_at`; `kind`, `effective_month`,
    `number`, `signed_on`, `authority`, `reason`, `categories`, `death_date`) with the beneficiary's `version`
    once it was recorded and its `status` and `categories` `before` and `after` it (`before` is null for the
    approval). Decisions are append-only: a page never changes, new decisions come first. `404` when the
    beneficiary does not exist or its person lies outside the client's areas. Pages with `limit` (at most 100)
    and the opaque `cursor` / `next_cursor`.
    """
    items, next_cursor = await service.decision_history(session, principal, beneficiary_id, cursor, limit)
    return DecisionPage.model_validate({"items": items, "next_cursor": next_cursor})


@router.get("/beneficiaries/{beneficiary_id}/entitlements", response_model=EntitlementsOut)
async def beneficiary_entitlements(
    beneficiary_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    from_: Annotated[str, Query(alias="from", description="First month, YYYY-MM")],
    to: Annotated[str, Query(description="Last month, YYYY-MM (at most 120 months from `from`)")],
) -> EntitlementsOut:
    """What the beneficiary is entitled to for each month of the range, from the decisions and the parameter
    tables (standard levels and category rules). A month not payable has amount 0 and a `reason`."""
    first, last = service.parse_range(from_, to)
    months = await service.month_entitlements(session, principal, beneficiary_id, first, last)
    return EntitlementsOut(
        beneficiary_id=beneficiary_id,
        from_month=first,
        to_month=last,
        total=sum(m.amount for m in months),
        months=[_month(m) for m in months],
    )


@router.post("/beneficiaries/{beneficiary_id}/arrears", response_model=ArrearsOut)
async def beneficiary_arrears(
    beneficiary_id: uuid.UUID, body: ArrearsIn, session: SessionDep, principal: Reader
) -> ArrearsOut:
    """Settle a range of months against what was paid (scope `registry:read`; computes, records nothing).

    For each month from `from` to `to` (at most 120): what the beneficiary was entitled to (as
    `GET /beneficiaries/{id}/entitlements` computes it today, so a retroactive rate rise or decision counts),
    what `paid` says was paid (a month left out: 0), and the difference. A positive difference is **arrears**
    (truy lĩnh) to pay in the next payroll; a negative one is money to **recover** (thu hồi), e.g. paid for
    months after the month of death or after the allowance stopped (`reason` says why nothing was owed).
    `to_pay` and `to_recover` are kept apart, never netted. A paid month outside the range or listed twice
    gets `422` naming `body.paid.N.month`.
    """
    months, paid, totals = await service.settle(session, principal, beneficiary_id, body)
    differences = [m.amount - paid.get(m.month, 0) for m in months]
    return ArrearsOut.model_validate(
        {
            "beneficiary_id": beneficiary_id,
            "from": body.from_month,
            "to": body.to_month,
            "entitled": sum(m.amount for m in months),
            "paid": sum(paid.values()),
            "to_pay": totals.to_pay,
            "to_recover": totals.to_recover,
            "months": [
                ArrearsMonth(
                    month=m.month,
                    entitled=m.amount,
                    paid=paid.get(m.month, 0),
                    difference=d,
                    kind="arrears" if d > 0 else "recovery" if d < 0 else None,
                    reason=m.reason.value if m.reason else None,
                )
                for m, d in zip(months, differences, strict=True)
            ],
        }
    )
