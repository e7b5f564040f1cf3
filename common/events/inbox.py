"""The inbox: signed deliveries from the hub, each applied exactly once.

``POST /events/inbox`` verifies the Standard Webhooks signature (the secret of this service's internal
subscription), records the event id in the inbox in the same transaction as the handlers' effects,
and answers 200. A second delivery of the same id is acknowledged without effect. A handler that
fails rolls everything back and answers 500 with the error, so the hub retries and, after its last
attempt, shows the error on the dead letter.

``POST /events/inbox/batch`` is the same for many events at once (the hub's batched delivery to services):
``{"events": [envelope, …]}``, signed the same way (the ``webhook-id`` names the batch). The events are applied
in the order given (the hub keeps each subject's events in order within it) with :meth:`Inbox.apply_many`, all in
one transaction: either every new event is applied, or none is (any handler failing rolls the whole batch back and
answers 500, and the hub then delivers those events one by one, so a poison event is isolated, retried and
dead-lettered on its own). The answer names the ids applied now and those applied before (duplicates).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ..db import SessionDep
from ..errors import AnSinhError, Unauthorized, ValidationFailed
from .envelope import Event, matches
from .tables import EventTables

_M = TypeVar("_M", bound=BaseModel)
log = structlog.get_logger("events.inbox")

Handler = Callable[[AsyncSession, Event], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, list[Event]], Awaitable[None]]
BatchKey = Callable[[Event], Any]
INBOX_PATH = "/events/inbox"
INBOX_BATCH_PATH = "/events/inbox/batch"
MAX_BATCH = 5000
"""Most events in one batched delivery (the hub sends fewer)."""


class HandlerFailed(AnSinhError):
    status, code, title = 500, "event-handler-failed", "The event could not be applied"


class Inbox:
    def __init__(self, tables: EventTables) -> None:
        self.tables = tables
        self.handlers: list[tuple[list[str], Handler]] = []
        self.batch_handlers: dict[str, tuple[BatchHandler, BatchKey]] = {}
        inbox = tables.inbox
        # Plain SQL on the hot path: measured, building and compiling the equivalent Core insert on every
        # delivery took a tenth of the consumer's CPU.
        self._record = text(
            f"INSERT INTO {inbox.schema}.{inbox.name} (event_id, type, source, subject, sequence) "
            "VALUES (:event_id, :type, :source, :subject, :sequence) ON CONFLICT DO NOTHING RETURNING event_id"
        )
        self._record_many = text(
            f"INSERT INTO {inbox.schema}.{inbox.name} (event_id, type, source, subject, sequence) "
            "SELECT * FROM unnest(CAST(:event_id AS uuid[]), CAST(:type AS text[]), CAST(:source AS text[]), "
            "CAST(:subject AS text[]), CAST(:sequence AS bigint[])) "
            "ON CONFLICT DO NOTHING RETURNING event_id"
        )

    def handler(self, *patterns: str) -> Callable[[Handler], Handler]:
        """``@inbox.handler("registry.beneficiary.*")`` — called inside the inbox transaction."""

        def register(fn: Handler) -> Handler:
            self.handlers.append((list(patterns), fn))
            return fn

        return register

    def batch_handler(self, type_: str, key: BatchKey) -> Callable[[BatchHandler], BatchHandler]:
        """``@inbox.batch_handler("registry.person.registered.v1", key=…)``: the set-based form of the (single)
        handler of one exact type, used by :meth:`apply_many` for the events of that type among a batch. ``key``
        names what one event writes (e.g. the person), the same kind of thing for every batch handler: one call
        never holds two events with the same key, so a set-based upsert never touches a row twice, and the events of
        one key are applied in order; events of different keys may be applied in another order than given."""

        def register(fn: BatchHandler) -> BatchHandler:
            self.batch_handlers[type_] = (fn, key)
            return fn

        return register

    @property
    def patterns(self) -> list[str]:
        """Every type pattern this service consumes: its internal subscription."""
        return sorted({p for patterns, _ in self.handlers for p in patterns})

    async def apply(self, session: AsyncSession, event: Event) -> bool:
        """Apply ``event`` once; False if it was applied before."""
        first = await session.scalar(
            self._record,
            {
                "event_id": event.id,
                "type": event.type,
                "source": event.source,
                "subject": event.subject,
                "sequence": event.sequence,
            },
        )
        if first is None:
            return False
        for patterns, fn in self.handlers:
            if matches(event.type, patterns):
                await fn(session, event)
        return True

    async def apply_many(self, session: AsyncSession, events: list[Event]) -> int:
        """Apply ``events`` (in order) once each; returns how many were new (see :meth:`apply_new`)."""
        return len(await self.apply_new(session, events))

    async def apply_new(self, session: AsyncSession, events: list[Event]) -> list[Event]:
        """Apply ``events`` (in order) once each, in the caller's transaction, with what :meth:`apply` does one by
        one: the ids are recorded in one statement, and the new events with a batch handler between two without one
        go to their batch handlers in a few calls (else event by event): the events of one key (what an event
        writes, e.g. the person) keep their order, and events of different keys — which write different rows, so
        their order does not matter — are grouped by type, one call per type for each layer (the first event of
        every key, then the second, …). Events interleaved by subject (as the hub sends them: a person's
        registration, another person's beneficiary decision, …) therefore cost a few statements per batch, not one
        per change of type. For a consumer catching up on many events (the feed, a rebuild, a bulk load, the hub's
        batched delivery); returns the events that were new, in order."""
        if not events:
            return []
        ids = await session.scalars(
            self._record_many,
            {
                "event_id": [e.id for e in events],
                "type": [e.type for e in events],
                "source": [e.source for e in events],
                "subject": [e.subject for e in events],
                "sequence": [e.sequence for e in events],
            },
        )
        fresh_ids = set(ids)
        fresh = []
        for e in events:  # the same id twice in one call is applied once
            if e.id in fresh_ids:
                fresh_ids.discard(e.id)
                fresh.append(e)
        segment: list[Event] = []

        async def flush() -> None:
            """The segment's events in layers: an event's layer is how many events of the segment with its key came
            before it, so the events of one key are applied in order, one layer after another; within a layer every
            key is distinct, and its events of one type go to their batch handler in one call."""
            if not segment:
                return
            layers: list[dict[str, list[Event]]] = []
            seen: dict[Any, int] = {}
            for e in segment:
                k = self.batch_handlers[e.type][1](e)
                n = seen.get(k, 0)
                seen[k] = n + 1
                if n == len(layers):
                    layers.append({})
                layers[n].setdefault(e.type, []).append(e)
            segment.clear()
            for layer in layers:
                for type_, run in layer.items():
                    await self.batch_handlers[type_][0](session, run)

        for event in fresh:
            if event.type not in self.batch_handlers:
                await flush()  # an event without a batch form is applied alone, after everything before it
                for patterns, fn in self.handlers:
                    if matches(event.type, patterns):
                        await fn(session, event)
                continue
            segment.append(event)
        await flush()
        return fresh

    def router(self, secret: str | None) -> APIRouter:
        router = APIRouter(tags=["events"])
        webhook = Webhook(secret) if secret else None

        async def signed(request: Request, model: type[_M]) -> _M:
            """The body of a request from the hub, its signature verified (Standard Webhooks), parsed as ``model``."""
            if webhook is None:
                raise Unauthorized("this service has no inbox secret configured")
            body = await request.body()
            try:
                webhook.verify(body, dict(request.headers), json_parse=False)
            except WebhookVerificationError as exc:
                raise Unauthorized(f"bad webhook signature: {exc}") from exc
            try:
                return model.model_validate_json(body)
            except ValidationError as exc:
                raise ValidationFailed(
                    [{"field": ".".join(map(str, e["loc"])) or "body", "reason": e["msg"]} for e in exc.errors()]
                ) from exc

        @router.post(INBOX_PATH, summary="Receive an event from the hub (internal)", include_in_schema=False)
        async def receive(request: Request, session: SessionDep) -> dict[str, Any]:
            """Signed by the hub per Standard Webhooks; not for partners."""
            event = await signed(request, Event)
            try:
                applied = await self.apply(session, event)
            except AnSinhError:
                raise
            except Exception as exc:
                log.warning("event_handler_failed", event_id=str(event.id), type=event.type, error=type(exc).__name__)
                raise HandlerFailed(f"{type(exc).__name__}: {exc}"[:500]) from exc
            return {"status": "applied" if applied else "duplicate", "event_id": str(event.id)}

        @router.post(INBOX_BATCH_PATH, summary="Receive many events from the hub (internal)", include_in_schema=False)
        async def receive_batch(request: Request, session: SessionDep) -> dict[str, Any]:
            """Signed by the hub per Standard Webhooks; applied all or nothing, in one transaction."""
            batch = await signed(request, EventBatch)
            try:
                fresh = await self.apply_new(session, batch.events)
            except AnSinhError:
                raise
            except Exception as exc:
                log.warning("event_batch_failed", events=len(batch.events), error=type(exc).__name__)
                raise HandlerFailed(f"{type(exc).__name__}: {exc}"[:500]) from exc
            applied = {e.id for e in fresh}
            return {
                "applied": [str(e.id) for e in fresh],
                "duplicates": sorted({str(e.id) for e in batch.events if e.id not in applied}),
            }

        return router


class EventBatch(BaseModel):
    """The body of a batched delivery: events in the order to apply them."""

    events: list[Event] = Field(min_length=1, max_length=MAX_BATCH)
