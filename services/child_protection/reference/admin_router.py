"""Operations: re-encrypting the narrative fields under the active key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from common import clock
from common.auth import Principal, require
from common.db import SessionDep

from ..cipher import CipherDep
from ..deadlines import service as deadlines
from ..rekey import rekey

router = APIRouter(prefix="/admin", tags=["operations"])


@router.post("/encryption/rekey", summary="Re-encrypt narrative fields under the active key")
async def rekey_route(
    session: SessionDep,
    cipher: CipherDep,
    _: Annotated[Principal, require("admin")],
    batch: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    """Rewrites up to `batch` values per encrypted column that are still under an older key; call again until
    `rewritten` is 0, then remove the old key from the settings. Needs `admin`; shows no content."""
    return await rekey(session, cipher, batch)


@router.post("/deadline-alerts/run", summary="Publish today's deadline alerts (the daily job)")
async def run_alerts(
    request: Request, session: SessionDep, _: Annotated[Principal, require("admin")]
) -> dict[str, int]:
    """What the daily job does, for deployments that schedule it from outside: one
    `child_protection.deadlines.alerts.v1` per commune with overdue or due-soon limits (counts only), once a day
    (a second call on the same day publishes nothing and answers zeros). Needs `admin`."""
    return await deadlines.publish_alerts(session, clock.today(), request.app.state.settings.due_soon_hours)
