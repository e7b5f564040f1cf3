"""Canary events: check the event path end to end, from any service to every other one.

``POST /events/canary`` publishes ``<service>.canary.v1`` through the outbox; every other service
records what it receives in ``canary_receipts`` (readable at ``GET /events/canaries``). Operators use
it after a deployment; the fault tests and ``bench/events.py`` use it as a real publisher and consumer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select, text

from ..auth import require
from ..db import SessionDep
from ..errors import ValidationFailed
from ..settings import SERVICES
from .envelope import Catalogue, Event
from .inbox import Inbox
from .outbox import publish
from .tables import EventTables


class Canary(BaseModel):
    """A test event: says who sent it and when (for end-to-end latency)."""

    note: str = Field("", max_length=200)
    published_at: datetime


class CanaryIn(BaseModel):
    to: str | None = Field(None, description="One service to address (e.g. payments); omitted: all the others")
    subject: str = Field("canary", min_length=1, max_length=200, description="Events of one subject stay in order")
    note: str = Field("", max_length=200)
    count: int = Field(1, ge=1, le=1000, description="How many events to publish in this one transaction")


def install(service: str, catalogue: Catalogue, tables: EventTables, inbox: Inbox) -> APIRouter:
    others = [s for s in SERVICES if s != service]
    broadcast = f"{service}.canary.v1"
    catalogue.register(broadcast, "A canary for every other service: checks the event path end to end")(Canary)
    for other in others:
        catalogue.register(f"{service}.canary.to_{other}.v1", f"A canary for the {other} service only")(Canary)

    receipts = tables.canary_receipts
    record_sql = text(
        f"INSERT INTO {receipts.schema}.{receipts.name} (event_id, source, subject, sequence, "
        "published_at) VALUES (:event_id, :source, :subject, :sequence, :published_at)"
    )

    @inbox.handler(*(f"{o}.canary.v1" for o in others), f"*.canary.to_{service}.v1")
    async def record(session: Any, event: Event) -> None:
        await session.execute(
            record_sql,
            {
                "event_id": event.id,
                "source": event.source,
                "subject": event.subject,
                "sequence": event.sequence,
                "published_at": datetime.fromisoformat(event.data["published_at"]),
            },
        )

    router = APIRouter(tags=["events"])

    @router.post("/events/canary", summary="Publish canary events", status_code=202, dependencies=[require("admin")])
    async def send_canaries(body: CanaryIn, session: SessionDep) -> dict[str, Any]:
        """Publish `count` canary events on `subject` in one transaction; the other services (or the one
        named in `to`) record them."""
        if body.to is not None and body.to not in others:
            raise ValidationFailed([{"field": "body.to", "reason": f"one of {', '.join(others)}"}])
        type_ = f"{service}.canary.to_{body.to}.v1" if body.to else broadcast
        ids = []
        for _ in range(body.count):
            data = Canary(note=body.note, published_at=datetime.now(UTC))
            event = await publish(session, tables, catalogue.event(type_, body.subject, data))
            ids.append(str(event.id))
        return {"published": ids}

    @router.get("/events/canaries", summary="Canary events received here", dependencies=[require("admin")])
    async def received_canaries(
        session: SessionDep,
        source: Annotated[str | None, Query()] = None,
        subject_prefix: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> dict[str, Any]:
        """Receipts in arrival order, with the latency from publication to the committed receipt."""
        r = tables.canary_receipts
        q = select(r).order_by(r.c.id).limit(limit)
        if subject_prefix:
            q = q.where(r.c.subject.startswith(subject_prefix, autoescape=True))
        if source:
            q = q.where(r.c.source == source)
        rows = (await session.execute(q)).mappings().all()
        total = await session.scalar(select(func.count()).select_from(q.order_by(None).limit(None).subquery()))
        return {
            "total": total,
            "receipts": [
                {
                    "event_id": str(x["event_id"]),
                    "source": x["source"],
                    "subject": x["subject"],
                    "sequence": x["sequence"],
                    "published_at": x["published_at"].isoformat(),
                    "received_at": x["received_at"].isoformat(),
                    "latency_ms": round((x["received_at"] - x["published_at"]).total_seconds() * 1000, 1),
                }
                for x in rows
            ],
        }

    return router
