"""HTTP route of the entitlement-schedules job (the gateway serves it under ``/registry``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from common.auth import require

from . import service

router = APIRouter(prefix="/jobs", tags=["jobs"])


class SweepOut(BaseModel):
    examined: int = Field(description="Beneficiaries whose schedule was recomputed")
    published: int = Field(description="Schedules that had changed and were published")


@router.post("/entitlement-schedules", response_model=SweepOut, dependencies=[require("admin")])
async def sweep_schedules(request: Request) -> SweepOut:
    """Recompute every beneficiary's entitlement schedule now and publish
    `registry.beneficiary.entitlements_changed.v1` for those that changed (scope `admin`).

    Runs by itself after a new standard level or coefficient rule is recorded and every day; call it to
    re-send after an outage or a data correction. Safe to repeat: an unchanged schedule is not re-sent.
    Works in chunks of 500 beneficiaries, each committed on its own.
    """
    result = await service.sweep(request.app.state.sessionmaker)
    return SweepOut(examined=result.examined, published=result.published)
