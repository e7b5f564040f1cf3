"""HTTP surface of the coverage check (the gateway serves it under ``/insurance``).

The route below is the documented one (OpenAPI) and serves the check when ``INSURANCE_COVERAGE_FAST_PATH`` is off;
by default :mod:`.fast` answers ``GET /coverage`` ahead of FastAPI's router with the same rules and the same
answers (the tests run against both)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from common import clock
from common.auth import Principal, purpose_header, require, stated_purpose
from common.errors import RateLimited
from common.ratelimit import retry_after_seconds

from . import service
from .schemas import CoverageOut

router = APIRouter(tags=["coverage"])

PURPOSE_REQUIRED = "required: why coverage is checked"


async def rate_limited(state: Any, principal: Principal) -> RateLimited | None:
    """The 429 to answer when ``principal``'s client has used up its coverage checks (None: go ahead)."""
    settings = state.settings
    wait = await state.coverage_limiter.hit(principal.client_id, settings.coverage_rate, settings.coverage_burst)
    if wait is None:
        return None
    return RateLimited(
        retry_after_seconds(wait), f"at most {settings.coverage_rate:g} coverage checks a second per client"
    )


async def answer(state: Any, principal: Principal, national_id: str, on: date | None, purpose: str) -> bytes:
    """The JSON answer, the call audited (``state``: the app's state)."""
    return await service.check(
        state.coverage_audit,
        principal,
        national_id,
        on or clock.today(),
        purpose,
        state.settings.identity_key.get_secret_value(),
    )


@router.get("/coverage", summary="Is a health-insurance card valid on a day?", response_model=CoverageOut)
async def coverage(
    request: Request,
    principal: Annotated[Principal, require("insurance:coverage")],
    national_id: Annotated[str, Query(pattern=r"^\d{12}$", description="The 12-digit national ID")],
    on: Annotated[date | None, Query(description="The day (default: today, Viet Nam time)")] = None,
    purpose: Annotated[str | None, purpose_header("Why the check is made (required; audited)")] = None,
) -> Response:
    """For hospitals and field-officer apps (scope `insurance:coverage`, or `insurance:read`): whether the person
    holds a card valid on `on`, with its group, benefit level and validity — no name, no address, no card number.
    `covered: false` when no card is valid that day (or the person is not known to insurance). `X-Purpose` is
    required; every call is audited with the caller, the purpose, the day and the answer (the national ID is kept
    only as a keyed digest). Rate-limited per client (`429` with `Retry-After`), here and at the gateway."""
    purpose = stated_purpose(purpose, PURPOSE_REQUIRED)
    refused = await rate_limited(request.app.state, principal)
    if refused is not None:
        raise refused
    body = await answer(request.app.state, principal, national_id, on, purpose)
    return Response(body, media_type="application/json")
