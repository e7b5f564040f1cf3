"""A burst of events after a quiet time (an import of thousands of persons): the dispatcher's rounds stay a few index
probes per chain. With the statistics PostgreSQL took while nothing was pending, the planner believed the pending rows
were one and scanned the whole pending index for every head (a round of 300 chains over a backlog of 30,000 took
0.4–1.5 s); the dispatcher refreshes them when a burst begins."""

from __future__ import annotations

import json
import uuid
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from common.settings import to_asyncpg_url
from gateway.events import repository
from gateway.events.dispatcher import BURST, Dispatcher, DispatchMetrics
from gateway.settings import GatewaySettings

BACKLOG = 3_000
DELIVERED = 30_000
ROUND = 300  # subjects a round


async def _buffers_per_chain(conn: Any) -> float:
    """Buffers the dispatcher's round reads per chain it finds (EXPLAIN ANALYZE of ``due_chains``' statement)."""
    explain = text("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + repository.DUE_CHAINS.text)
    plan = (await conn.execute(explain, {"subjects": ROUND, "per_subject": 20})).scalar_one()
    top = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    return (top["Shared Hit Blocks"] + top["Shared Read Blocks"]) / max(top["Actual Rows"], 1)


async def test_a_burst_after_a_quiet_time_is_dispatched_by_index_probes(test_db):
    engine = create_async_engine(to_asyncpg_url(test_db.urls["gateway"]))
    settings = GatewaySettings(database_url=test_db.urls["gateway"])
    dispatcher = Dispatcher(None, settings, test_db.urls["gateway"], DispatchMetrics(CollectorRegistry()))  # type: ignore[arg-type]
    try:
        async with engine.connect() as conn:
            await conn.begin()  # everything below is rolled back
            sub = uuid.uuid4()
            await conn.execute(
                text(
                    "INSERT INTO gateway.subscriptions (id, url, types, secret, description) "
                    "VALUES (:id, 'http://127.0.0.1:9/inbox', ARRAY['test.burst.v1'], 'whsec_test', '')"
                ),
                {"id": sub},
            )
            # The statistics of a hub that keeps up: taken when every delivery so far has been made.
            await conn.execute(
                text(
                    "INSERT INTO gateway.deliveries (subscription_id, event_id, subject, position, status) "
                    "SELECT :sub, gen_random_uuid(), 'earlier-' || g, -g, 'delivered' FROM generate_series(1, :n) g"
                ),
                {"n": DELIVERED, "sub": sub},
            )
            await conn.execute(text("ANALYZE gateway.deliveries"))
            # The burst: one event per person, a delivery each, all due.
            await conn.execute(
                text("""
                WITH e AS (
                    INSERT INTO gateway.events (id, source, type, subject, sequence, envelope)
                    SELECT gen_random_uuid(), '/test', 'test.burst.v1', 'person-' || g, 1, '{}'::jsonb
                    FROM generate_series(1, :n) g
                    RETURNING id, subject, position
                )
                INSERT INTO gateway.deliveries (subscription_id, event_id, subject, position, next_attempt_at)
                SELECT :sub, e.id, e.subject, e.position, now() - interval '1 minute' FROM e
                """),
                {"n": BACKLOG, "sub": sub},
            )
            dispatcher._conn = (await conn.get_raw_connection()).driver_connection  # the round's own connection
            chains = await repository.due_chains(_Session(conn), ROUND, 20)  # type: ignore[arg-type]
            assert len(chains) >= BURST
            await dispatcher._analyse(len(chains))  # what dispatch_once does with a round of at least BURST chains
            assert await _buffers_per_chain(conn) < 25  # a few index pages per chain, not the whole pending index
    finally:
        await engine.dispose()


class _Session:
    """The test's connection where ``due_chains`` expects a session (it only executes one statement)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def execute(self, *args: Any, **kw: Any) -> Any:
        return await self.conn.execute(*args, **kw)
