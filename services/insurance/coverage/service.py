"""The coverage check: valid card or not on a day, and the audit of who asked and why."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import orjson

from common.auth import Principal
from common.batching import GroupCommitter

from ..exchange.identities import digester
from . import repository

Audited = GroupCommitter[repository.Asked, Any]
"""The coverage calls in flight, looked up and audited together (one statement and one commit a batch)."""


def audited(state: Any, lanes: int) -> Audited:
    """The group committer of the app whose state is ``state`` (its sessionmaker and pool, read at each batch: tests
    replace the sessionmaker). ``lanes``: batches in flight at once, each on a connection of the check's pool."""

    async def run(calls: Sequence[repository.Asked]) -> list[Any | None]:
        return await repository.cards_on_audited(state.sessionmaker, state.coverage_pool, calls)

    return GroupCommitter(run, lanes=lanes, max_batch=BATCH)


BATCH = 128
"""Calls in one statement at most."""


@functools.lru_cache(maxsize=4)
def _digester(key: str) -> Callable[[str], str]:
    """The national-ID digest with the HMAC key set up once, not on every call."""
    return digester(key)


async def check(
    audit: Audited,
    principal: Principal,
    national_id: str,
    on: date,
    purpose: str,
    key: str,
) -> bytes:
    """The JSON answer (the shape of ``CoverageOut``) about the card valid on ``on`` for the person with
    ``national_id`` (found by its keyed digest, learnt when the person was on a BHXH list). Every call is audited,
    covered or not, with the caller and the purpose: the lookup and the audit row are one statement, run in autocommit
    (atomic by itself; no BEGIN and COMMIT round trips) together with the other calls of the moment, and the answer
    waits for that statement to return, so the audit row is durable before the answer is sent."""
    row = await audit.submit(repository.Asked(_digester(key)(national_id), on, principal.client_id, purpose))
    if row is None:
        return orjson.dumps(
            {"on": on, "covered": False, "group": None, "benefit_level": None, "valid_from": None, "valid_to": None}
        )
    return orjson.dumps(
        {
            "on": on,
            "covered": True,
            "group": row["group_code"],
            "benefit_level": row["benefit_level"],
            "valid_from": row["valid_from"],
            "valid_to": row["valid_to"],
        }
    )
