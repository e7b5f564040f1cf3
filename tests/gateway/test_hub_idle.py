"""The dispatcher's "when is the next delivery due?": nothing pending means sleep, not "due now"."""

from __future__ import annotations

import asyncio
import time
import uuid

from sqlalchemy import text

from common.events.envelope import new_event
from gateway.events import repository
from gateway.events.dispatcher import LEADER_LOCK
from gateway.models import Subscription


async def test_next_due_is_none_when_nothing_is_pending_and_counts_only_live_subscriptions(door):
    maker = door.gateway.state.sessionmaker
    async with maker() as s:  # never committed: the package's dispatcher does not see any of this
        await s.execute(text("UPDATE gateway.deliveries SET status = 'dead' WHERE status = 'pending'"))
        assert await repository.next_due_in(s) is None  # was 0: PostgreSQL's greatest(0, NULL) is 0

        kind = f"registry.idle_{uuid.uuid4().hex[:8]}.v1"
        sub = Subscription(
            id=uuid.uuid4(),
            owner="t-idle",
            url="https://partner.example.vn/h",
            types=[kind],
            secret="whsec_x",
            description="",
            areas=[],
        )
        s.add(sub)
        await s.flush()
        await repository.store_events(s, [{**new_event("/ansinh/registry", kind, "idle-1", {}), "sequence": 1}])
        await s.execute(
            text("UPDATE gateway.deliveries SET status = 'dead' WHERE status = 'pending' AND subscription_id <> :id"),
            {"id": sub.id},
        )  # other tests' `registry.*` ones
        await s.execute(
            text(
                "UPDATE gateway.deliveries SET next_attempt_at = clock_timestamp() + interval '60 s' "
                "WHERE subscription_id = :id"
            ),
            {"id": sub.id},
        )
        due = await repository.next_due_in(s)
        assert due is not None and 50 < due <= 60

        # A subscription ended outside the API leaves its pending rows behind; the dispatcher never sends
        # them, so they must not count as due (they made every round "due now").
        await s.execute(
            text("UPDATE gateway.deliveries SET next_attempt_at = clock_timestamp() WHERE subscription_id = :id"),
            {"id": sub.id},
        )
        assert await repository.next_due_in(s) == 0.0
        await s.execute(text("UPDATE gateway.subscriptions SET deleted_at = now() WHERE id = :id"), {"id": sub.id})
        assert await repository.next_due_in(s) is None
        await s.rollback()


async def test_the_dispatcher_that_loses_its_connection_leads_and_listens_again(door):
    dispatcher = door.gateway.state.dispatcher
    deadline = time.monotonic() + 20
    while dispatcher._conn is None or dispatcher._conn.is_closed():  # leading since the package started
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    lost = dispatcher._conn
    maker = door.gateway.state.sessionmaker
    async with maker() as s, s.begin():  # the database drops it, and the leader lock with it
        await s.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost.get_server_pid()})

    async def lock_holder() -> int | None:
        async with maker() as s:
            return await s.scalar(
                text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :k"),
                {"k": LEADER_LOCK},
            )

    while (
        (conn := dispatcher._conn) is lost
        or conn is None
        or conn.is_closed()
        or await lock_holder() != conn.get_server_pid()
    ):
        assert time.monotonic() < deadline, "the dispatcher did not take the leader lock again"
        await asyncio.sleep(0.05)
