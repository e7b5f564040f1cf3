"""HTTP surface of the projection (read-only: only registry events write it)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from common.auth import Principal, require
from common.db import SessionDep

from . import service
from .schemas import BeneficiaryCounts, BeneficiaryOut

router = APIRouter(prefix="/beneficiaries", tags=["projection"])


@router.get("/counts", summary="How many beneficiaries payments' copy holds", response_model=BeneficiaryCounts)
async def beneficiary_counts(
    session: SessionDep, principal: Annotated[Principal, require("payments:read")]
) -> BeneficiaryCounts:
    """The beneficiaries of payments' copy within the client's areas, in all and by status: compared with the
    registry's, whether the registry's approvals, deaths and decisions have all reached payments (the hub delivers
    them a little later) before a payroll is generated."""
    return await service.counts(session, principal)


@router.get("/{beneficiary_id}", summary="Payments' copy of a beneficiary", response_model=BeneficiaryOut)
async def read_beneficiary(
    beneficiary_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, require("payments:read")]
) -> BeneficiaryOut:
    """What payrolls are computed from: the beneficiary's facts and entitlement schedule as last received from the
    registry (`registry.beneficiary.entitlements_changed.v1`), with the registry's `version`. `404` when payments
    has not received it or it is outside the client's areas."""
    return await service.beneficiary(session, principal, beneficiary_id)
