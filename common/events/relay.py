"""The outbox relay: runs inside each service process and sends committed events to the gateway's hub.

One batch at a time: ``FOR UPDATE SKIP LOCKED`` on the oldest rows, ``POST /events`` to the gateway,
delete the rows, commit. A transaction-scoped advisory lock lets only one replica send at a time, so
the hub receives each subject's events in order. If the process dies after the hub stored a batch but
before the delete committed, the batch is sent again and the hub drops the duplicates (same ids).
Woken by ``LISTEN/NOTIFY`` when a publishing transaction commits; polls as a fallback; backs off
exponentially while the gateway is unreachable.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import asyncpg
import httpx
import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from ..asgi import cancel_and_wait
from .outbox import notify_channel
from .tables import EventTables

log = structlog.get_logger("events.relay")
VACUUM_EVERY = 1000


class PublishRejected(Exception):
    """The hub refused the batch for a reason retrying will not fix (4xx other than 401/429)."""


class Relay:
    def __init__(
        self,
        engine: AsyncEngine,
        tables: EventTables,
        *,
        gateway_url: str,
        client_id: str,
        client_secret: str,
        batch_size: int = 100,
        poll_seconds: float = 1.0,
        max_backoff: float = 30.0,
        registry: CollectorRegistry | None = None,
        linger: float = 0.01,
    ) -> None:
        self.engine = engine
        self.tables = tables
        self.schema = tables.outbox.schema or "public"
        self.gateway_url = gateway_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.max_backoff = max_backoff
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0))
        self._token: tuple[str, float] | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._since_vacuum = 0
        self._gauge_at = 0.0
        self.linger = linger
        self.sent = Counter("events_relayed_total", "Events sent to the hub", registry=registry)
        self.failures = Counter("events_relay_failures_total", "Failed attempts to send a batch", registry=registry)
        self.backlog_gauge = Gauge(
            "events_outbox_backlog", "Events waiting in the outbox (at the last idle check)", registry=registry
        )

    async def start(self) -> None:
        await self._listen()
        self._task = asyncio.create_task(self._run(), name=f"{self.schema}-relay")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        if self._listener is not None:
            await self._listener.close()
        await self.http.aclose()

    async def _listen(self) -> None:
        conn = None
        try:
            dsn = make_url(str(self.engine.url.render_as_string(hide_password=False))).set(drivername="postgresql")
            conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
            await conn.add_listener(notify_channel(self.schema), lambda *_: self._wake.set())
            # Losing the connection wakes the loop too, which then polls and listens again (see _fallback_wait).
            conn.add_termination_listener(lambda *_: self._wake.set())
            self._listener = conn
        except (OSError, asyncpg.PostgresError) as exc:  # polling still works
            log.warning("relay_listen_failed", error=type(exc).__name__)
            if conn is not None:
                conn.terminate()
            self._listener = None

    async def _run(self) -> None:
        failures = 0
        while True:
            # Clear before draining: a commit notified while we drain must wake the next wait, not be lost.
            self._wake.clear()
            try:
                sent = await self.drain_once()
                failures = 0
            except Exception as exc:  # gateway down, token refused, database hiccup: back off and retry
                failures += 1
                self.failures.inc()
                delay = min(self.max_backoff, 0.25 * 2 ** min(failures, 10)) * (0.5 + random.random() / 2)
                log.warning(
                    "relay_send_failed", error=type(exc).__name__, detail=str(exc)[:200], retry_in=round(delay, 2)
                )
                await asyncio.sleep(delay)
                continue
            if sent >= self.batch_size:
                continue  # more waiting: go on at once
            if time.monotonic() - self._gauge_at > 5:
                self._gauge_at = time.monotonic()
                self.backlog_gauge.set(await self.backlog())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=await self._fallback_wait())
            except TimeoutError:
                continue
            # Linger a moment so that commits arriving together leave in one batch: measured, waking for
            # every single commit cost a transaction and a POST per event.
            await asyncio.sleep(self.linger)

    async def _fallback_wait(self) -> float:
        """How long to sleep when idle: ``poll_seconds`` while LISTEN wakes us (the poll is only a fallback, and
        an idle process should sleep); a second while it does not (the listening connection was lost), after
        trying to listen again."""
        if self._listener is not None and not self._listener.is_closed():
            return self.poll_seconds
        await self._listen()
        return min(self.poll_seconds, 1.0)

    async def drain_once(self) -> int:
        """Send one batch; returns how many events it held (0 when idle or another replica is sending)."""
        outbox = self.tables.outbox
        async with self.engine.begin() as conn:
            if not await conn.scalar(
                text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"), {"k": f"ansinh.{self.schema}.relay"}
            ):
                return 0
            rows = (
                await conn.execute(
                    select(outbox.c.id, outbox.c.envelope)
                    .order_by(outbox.c.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            await self._post([r.envelope for r in rows])
            await conn.execute(delete(outbox).where(outbox.c.id.in_([r.id for r in rows])))
        self.sent.inc(len(rows))
        await self._vacuum_if_due(len(rows))
        return len(rows)

    async def _vacuum_if_due(self, sent: int) -> None:
        """Vacuum the outbox every ``VACUUM_EVERY`` sent rows.

        A queue table is mostly dead rows under load: each batch deletes what it sent, and until vacuum
        removes them the next ``ORDER BY id … SKIP LOCKED`` walks past every one (autovacuum wakes only
        once a minute). Measured: without it, relay latency kept growing through a 20-s run at 200 events/s.
        """
        self._since_vacuum += sent
        if self._since_vacuum < VACUUM_EVERY or self._listener is None:
            return
        self._since_vacuum = 0
        try:
            await self._listener.execute(f'VACUUM "{self.schema}"."{self.tables.outbox.name}"')
        except asyncpg.PostgresError as exc:  # not fatal: autovacuum gets there eventually
            log.info("outbox_vacuum_failed", error=type(exc).__name__)

    async def _post(self, events: list[dict[str, Any]]) -> None:
        for attempt in (1, 2):
            resp = await self.http.post(
                f"{self.gateway_url}/events", json=events, headers={"Authorization": f"Bearer {await self._bearer()}"}
            )
            if resp.status_code == 401 and attempt == 1:
                self._token = None  # expired or keys rotated: get a fresh one and try once more
                continue
            if resp.status_code < 300:
                return
            if 400 <= resp.status_code < 500 and resp.status_code not in (401, 408, 429):
                raise PublishRejected(f"hub refused the batch: {resp.status_code} {resp.text[:300]}")
            resp.raise_for_status()
            raise RuntimeError(f"unexpected status {resp.status_code}")

    async def _bearer(self) -> str:
        if self._token and self._token[1] > time.time() + 30:
            return self._token[0]
        resp = await self.http.post(
            f"{self.gateway_url}/auth/token",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        resp.raise_for_status()
        body = resp.json()
        self._token = (body["access_token"], time.time() + float(body["expires_in"]))
        return self._token[0]

    async def backlog(self) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(self.tables.outbox)) or 0)
