"""Operations: re-encrypting the narrative fields under the active key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from common.auth import Principal, require
from common.db import SessionDep

from ..cipher import CipherDep
from ..rekey import rekey

router = APIRouter(prefix="/admin/encryption", tags=["operations"])


@router.post("/rekey", summary="Re-encrypt narrative fields under the active key")
async def rekey_route(session: SessionDep, cipher: CipherDep, _: Annotated[Principal, require("admin")],
                      batch: Annotated[int, Query(ge=1, le=5000)] = 500) -> dict[str, Any]:
    """Rewrites up to `batch` values per encrypted column that are still under an older key; call again until
    `rewritten` is 0, then remove the old key from the settings. Needs `admin`; shows no content."""
    return await rekey(session, cipher, batch)
