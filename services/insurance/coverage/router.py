"""HTTP surface of the coverage check (the gateway serves it under ``/insurance``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from common import clock
from common.auth import Principal, purpose_header, require, stated_purpose
from common.errors import RateLimited
from common.ratelimit import retry_after_seconds

from . import service
from .schemas import CoverageOut

router = APIRouter(tags=["coverage"])


@router.get("/coverage", summary="Is a health-insurance card valid on a day?", response_model=CoverageOut)
async def coverage(
    request: Request,
    principal: Annotated[Principal, require("insurance:coverage")],
    national_id: Annotated[str, Query(pattern=r"^\d{12}$", description="The 12-digit national ID")],
    on: Annotated[date | None, Query(description="The day (default: today, Viet Nam time)")] = None,
    purpose: Annotated[str | None, purpose_header("Why the check is made (required; audited)")] = None,
) -> CoverageOut:
    """For hospitals and field-officer apps (scope `insurance:coverage`, or `insurance:read`): whether the person
    holds a card valid on `on`, with its group, benefit level and validity — no name, no address, no card number.
    `covered: false` when no card is valid that day (or the person is not known to insurance). `X-Purpose` is
    required; every call is audited with the caller, the purpose, the day and the answer (the national ID is kept
    only as a keyed digest). Rate-limited per client (`429` with `Retry-After`), here and at the gateway."""
    purpose = stated_purpose(purpose, "required: why coverage is checked")
    settings = request.app.state.settings
    wait = await request.app.state.coverage_limiter.hit(
        principal.client_id, settings.coverage_rate, settings.coverage_burst
    )
    if wait is not None:
        raise RateLimited(
            retry_after_seconds(wait), f"at most {settings.coverage_rate:g} coverage checks a second per client"
        )
    return await service.check(
        request.app.state.sessionmaker,
        principal,
        national_id,
        on or clock.today(),
        purpose,
        settings.identity_key.get_secret_value(),
    )
