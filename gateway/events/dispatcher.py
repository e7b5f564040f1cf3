"""Delivers pending events to subscriptions: signed, retried with backoff, in order per subject.

Each round takes, for every (subscription, subject), the oldest pending delivery if it is due, and
sends those concurrently — so one subject's events reach a subscriber one after another, in the order
the hub received them, while different subjects and subscribers do not wait for each other. A failure
is retried with exponential backoff and jitter (or after the receiver's ``Retry-After``); after the
last attempt the delivery is dead, visible with its error, and the subject moves on. Only one gateway
replica dispatches at a time (a PostgreSQL advisory lock held by the leader).

Batched delivery to the services' inboxes (internal subscriptions): the chains of a round that go to one
service are sent together, whole chains in order, as one signed ``POST <inbox url>/batch`` of up to
``delivery_batch_events`` events, one batch after another per service. The service applies a batch in one
transaction (all or nothing) and its inbox ignores events it applied before. A batch that fails (an error, a
timeout, a service without the batch route) is not retried as a batch: its chains are delivered one event at a
time in the same round, as for partners, so a poison event fails alone, is retried with backoff and dead-lettered,
and holds back only its own subject. A chain whose head failed before (attempts > 0) is always sent event by
event. Partners' webhooks are always one event per request (Standard Webhooks signs one message).
"""

from __future__ import annotations

import asyncio
import bisect
import errno
import functools
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import orjson
import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from common.asgi import cancel_and_wait

from ..settings import GatewaySettings
from . import repository, urlsafety

log = structlog.get_logger("gateway.events")
LEADER_LOCK = 0x616E_7369  # "ansi": one dispatcher across gateway replicas
PER_SUBJECT = 20
VACUUM_EVERY = 2000  # deliveries of one subject sent one after another in a round
BURST = 100
"""A round that finds this many due chains checks the planner's estimate of the pending rows (see ``_analyse``)."""


# A kept-alive connection the receiver closed (its idle timeout) just as the hub reused it: nothing was answered,
# so the POST goes again at once on a new connection. Deliveries are idempotent (same webhook-id, inbox dedup).
def _stale_connection(exc: aiohttp.ClientConnectionError) -> bool:
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientConnectionResetError):
        return True
    return isinstance(exc, aiohttp.ClientOSError) and exc.errno in (errno.ECONNRESET, errno.EPIPE)


class DispatchMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.outcomes = Counter(
            "gateway_event_deliveries_total", "Delivery attempts by outcome", ["outcome"], registry=registry
        )
        self.latency = Histogram(
            "gateway_event_delivery_latency_seconds",
            "From the hub receiving an event to its successful delivery",
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600),
        )


class Dispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: GatewaySettings,
        db_url: str,
        metrics: DispatchMetrics,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.db_url = db_url
        self.metrics = metrics
        self.wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conn: asyncpg.Connection | None = None
        self._http: aiohttp.ClientSession | None = None
        self._since_vacuum = 0
        self._slots = asyncio.Semaphore(settings.delivery_concurrency)

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.settings.delivery_timeout_seconds),
            # Idle connections dropped before the services' own keep-alive (uvicorn's 5 s) ends them, as the proxy does.
            connector=aiohttp.TCPConnector(keepalive_timeout=self.settings.upstream_keepalive_seconds),
        )
        self._task = asyncio.create_task(self._run(), name="event-dispatcher")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        if self._conn is not None:
            await self._conn.close()
        if self._http is not None:
            await self._http.close()

    async def _lead(self) -> bool:
        """Hold the leader lock on a dedicated connection that also LISTENs for new deliveries."""
        if self._conn is None or self._conn.is_closed():
            dsn = make_url(self.db_url).set(drivername="postgresql").render_as_string(hide_password=False)
            self._conn = await asyncpg.connect(dsn)
            await self._conn.add_listener(repository.NOTIFY_CHANNEL, lambda *_: self.wake.set())
            # Losing it (and with it the leader lock) wakes the loop, which connects and tries to lead again.
            self._conn.add_termination_listener(lambda *_: self.wake.set())
        return bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK))

    async def _run(self) -> None:
        leader = False
        while True:
            try:
                if self._conn is None or self._conn.is_closed():
                    leader = False  # the lock went with the connection
                leader = leader or await self._lead()
                if not leader:
                    await asyncio.sleep(2.0)  # another replica dispatches; try again later
                    continue
                self.wake.clear()  # before the round: a notification during it must not be lost
                sent = await self.dispatch_once()
                if sent:
                    continue
                async with self.sessionmaker() as session:
                    due_in = await repository.next_due_in(session)
                wait = self.settings.delivery_poll_seconds if due_in is None else min(due_in, 5.0)
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=max(wait, 0.01))
                except TimeoutError:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database hiccup: keep the loop alive
                log.warning("dispatch_failed", error=type(exc).__name__, detail=str(exc)[:200])
                leader = False
                if self._conn is not None:
                    await self._conn.close()
                    self._conn = None
                await asyncio.sleep(1.0)

    async def dispatch_once(self) -> int:
        async with self.sessionmaker() as session:
            chains = await repository.due_chains(session, self.settings.delivery_batch_subjects, PER_SUBJECT)
        if not chains:
            return 0
        if len(chains) >= BURST:
            await self._analyse(len(chains))
        batched: dict[Any, list[list[dict[str, Any]]]] = {}
        single: list[list[dict[str, Any]]] = []
        for chain in chains:
            if chain[0]["owner"] is None and chain[0]["attempts"] == 0:
                batched.setdefault(chain[0]["sub_id"], []).append(chain)
            else:
                single.append(chain)
        # Chains sent event by event: as many as before batching (the rest stay due for the next round).
        single = single[: self.settings.delivery_concurrency]
        jobs = [self._deliver_chain(c) for c in single] + [self._deliver_batches(cs) for cs in batched.values()]
        results = [r for done in await asyncio.gather(*jobs) for r in done]
        async with self.sessionmaker() as session, session.begin():
            await repository.record_results(session, results)
        await self._vacuum_if_due(len(results))
        return len(results)

    async def _analyse(self, pending: int) -> None:
        """Refresh the planner's statistics of the deliveries table when it believes far fewer rows are pending than
        the round just found (``pending``, a lower bound). ``due_chains`` reads the pending rows through the two
        partial indexes; with statistics taken while nothing was pending (the usual state of a hub that keeps up)
        the planner believes the pending rows are one and scans the whole pending index for every head instead of
        probing ``ix_deliveries_pending_order`` — a round of 300 chains over a backlog of 30,000 took 0.4–1.5 s and
        read ~600 buffers a chain instead of a few (the seed's imports). Autovacuum's analyse comes up to a minute
        later. The estimate is one ``EXPLAIN``; ``ANALYZE`` (a sample of the table, ~0.3 s when it holds 100,000
        deliveries) runs only when the estimate is off by more than four times."""
        if self._conn is None:
            return
        try:
            plan = await self._conn.fetchval(
                "EXPLAIN (FORMAT JSON) SELECT 1 FROM gateway.deliveries WHERE status = 'pending'"
            )
            estimate = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"]
            if estimate * 4 < pending:
                await self._conn.execute("ANALYZE gateway.deliveries")
        except asyncpg.PostgresError as exc:
            log.info("deliveries_analyse_failed", error=type(exc).__name__)

    async def _vacuum_if_due(self, recorded: int) -> None:
        """Vacuum the deliveries table every ``VACUUM_EVERY`` outcomes: each outcome updates a row, and
        the dispatcher's search for pending rows slows down with every dead version until vacuum runs
        (autovacuum wakes once a minute). Same reasoning as the services' outbox relay."""
        self._since_vacuum += recorded
        if self._since_vacuum < VACUUM_EVERY or self._conn is None:
            return
        self._since_vacuum = 0
        try:
            await self._conn.execute("VACUUM gateway.deliveries")
        except asyncpg.PostgresError as exc:
            log.info("deliveries_vacuum_failed", error=type(exc).__name__)

    async def _deliver_chain(self, chain: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One subject's pending deliveries to one subscriber, in order; stop at the first failure."""
        results = []
        async with self._slots:
            for head in chain:
                result = await self._deliver(head)
                results.append(result)
                if result["values"].get("status") != "delivered":
                    break
        return results

    async def _deliver_batches(self, chains: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """One service's chains in batches of whole chains, one batch after another; the chains of a batch that
        failed are then delivered event by event."""
        results: list[dict[str, Any]] = []
        limit = self.settings.delivery_batch_events
        groups: list[list[list[dict[str, Any]]]] = [[]]
        size = 0
        for chain in chains:
            if groups[-1] and size + len(chain) > limit:
                groups.append([])
                size = 0
            groups[-1].append(chain)
            size += len(chain)
        for group in groups:
            heads = [h for chain in group for h in chain]
            if await self._post_batch(heads):
                now = datetime.now(UTC)
                self.metrics.outcomes.labels("delivered").inc(len(heads))
                observe_many(self.metrics.latency, [(now - h["received_at"]).total_seconds() for h in heads])
                for h in heads:
                    results.append(
                        {
                            "id": h["id"],
                            "values": {
                                "status": "delivered",
                                "attempts": h["attempts"] + 1,
                                "last_status": 200,
                                "last_error": None,
                                "delivered_at": now,
                            },
                        }
                    )
                continue
            self.metrics.outcomes.labels("batch_failed").inc()
            for done in await asyncio.gather(*(self._deliver_chain(c) for c in group)):
                results.extend(done)
        return results

    async def _post_batch(self, heads: list[dict[str, Any]]) -> bool:
        """One signed POST of these deliveries' events to the service's batch route; True when it answered 2xx."""
        # The envelopes as stored (JSON text from the database), not decoded and encoded again.
        body = b'{"events":[' + ",".join(h["envelope"] for h in heads).encode() + b"]}"
        msg_id = f"batch_{uuid.uuid4()}"
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": _signer(heads[0]["secret"]).sign(msg_id, now, body.decode()),
            "user-agent": "AnSinh-Hub/1",
        }
        try:
            timeout = aiohttp.ClientTimeout(total=self.settings.delivery_batch_timeout_seconds)
            url = heads[0]["url"].rstrip("/") + "/batch"
            status, detail, _ = await self._post(url, body, headers, timeout)
            if status < 300:
                return True
            log.info("batch_delivery_failed", subscription=str(heads[0]["sub_id"]), status=status, detail=detail[:300])
        except Exception as exc:  # unreachable, timeout: the events go one by one
            log.info("batch_delivery_failed", subscription=str(heads[0]["sub_id"]), error=type(exc).__name__)
        return False

    async def _post(
        self, url: str, body: bytes, headers: dict[str, str], limits: aiohttp.ClientTimeout | None = None
    ) -> tuple[int, str, str | None]:
        """POST ``body``: the status, the answer's text when it is not 2xx, and its ``Retry-After``. Sent a second
        time, at once, only when a reused connection turned out closed before anything was answered."""
        assert self._http is not None
        options: dict[str, Any] = {"data": body, "headers": headers, "allow_redirects": False}
        if limits is not None:
            options["timeout"] = limits
        for last in (False, True):
            try:
                async with self._http.post(url, **options) as resp:
                    text = "" if resp.status < 300 else await resp.text()
                    return resp.status, text, resp.headers.get("retry-after")
            except aiohttp.ClientConnectionError as exc:
                if last or not _stale_connection(exc):
                    raise
                log.info("delivery_connection_stale", url=url)
        raise AssertionError("unreachable")

    async def _deliver(self, head: dict[str, Any]) -> dict[str, Any]:
        body = orjson.dumps(orjson.loads(head["envelope"])).decode()  # compact, as partners always received it
        msg_id = str(head["event_id"])
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": _signer(head["secret"]).sign(msg_id, now, body),
            "user-agent": "AnSinh-Hub/1",
        }
        status: int | None = None
        error: str | None = None
        retry_after: float | None = None
        try:
            if head["owner"] is not None:  # partners' endpoints: re-check where the name points now
                await urlsafety.check_webhook_url(
                    head["url"], environment=self.settings.environment, allowlist=self.settings.webhook_allowlist
                )
            status, answer, retry = await self._post(head["url"], body.encode(), headers)
            if status >= 300:
                error, retry_after = answer[:1000], _retry_after(retry)
        except Exception as exc:  # unreachable, timeout, refused URL: all retried
            error = f"{type(exc).__name__}: {exc}"[:1000]
        attempts = head["attempts"] + 1
        if status is not None and status < 300:
            self.metrics.outcomes.labels("delivered").inc()
            self.metrics.latency.observe((datetime.now(UTC) - head["received_at"]).total_seconds())
            return {
                "id": head["id"],
                "values": {
                    "status": "delivered",
                    "attempts": attempts,
                    "last_status": status,
                    "last_error": None,
                    "delivered_at": datetime.now(UTC),
                },
            }
        if attempts >= self.settings.delivery_max_attempts:
            self.metrics.outcomes.labels("dead").inc()
            log.warning("delivery_dead", event_id=msg_id, subscription=str(head["sub_id"]), status=status)
            return {
                "id": head["id"],
                "values": {"status": "dead", "attempts": attempts, "last_status": status, "last_error": error},
            }
        self.metrics.outcomes.labels("retry").inc()
        base = self.settings.delivery_retry_base_seconds * 2 ** (attempts - 1)
        delay = min(self.settings.delivery_retry_max_seconds, base) * (0.5 + random.random() / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.settings.delivery_retry_max_seconds))
        return {
            "id": head["id"],
            "values": {
                "attempts": attempts,
                "last_status": status,
                "last_error": error,
                "next_attempt_at": datetime.now(UTC) + timedelta(seconds=delay),
            },
        }


def observe_many(histogram: Histogram, values: list[float]) -> None:
    """``histogram.observe(v)`` for every value, with each bucket and the sum updated once: prometheus_client's
    ``observe`` takes locks per value (and walks the bounds): one call per delivery was ~5% of the gateway's CPU in a
    profiled enrolment (py-spy). A value counts in the first bucket whose bound it does not exceed (the scrape
    adds them up); tests/gateway/test_hub_metrics.py checks the result against ``observe`` one by one."""
    if not values:
        return
    ordered = sorted(values)
    histogram._sum.inc(sum(ordered))
    below = 0
    for bound, bucket in zip(histogram._upper_bounds, histogram._buckets, strict=True):
        upto = bisect.bisect_right(ordered, bound)
        if upto > below:
            bucket.inc(upto - below)
            below = upto


@functools.lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    """One decoded signer per subscription secret, not one per delivery."""
    return Webhook(secret)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None
