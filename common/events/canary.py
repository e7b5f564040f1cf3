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
from sqlalchemy import func, insert, select

from ..auth import require
from ..db import SessionDep
from .envelope import Catalogue, Event
from .inbox import Inbox
from .outbox import publish
from .tables import EventTables


class Canary(BaseModel):
    """A test event: says who sent it and when (for end-to-end latency)."""

    note: str = Field("", max_length=200)
    published_at: datetime


class CanaryIn(BaseModel):
    subject: str = Field("canary", min_length=1, max_length=200, description="Events of one subject stay in order")
    note: str = Field("", max_length=200)
    count: int = Field(1, ge=1, le=1000, description="How many events to publish in this one transaction")


def install(service: str, catalogue: Catalogue, tables: EventTables, inbox: Inbox) -> APIRouter:
    type_ = f"{service}.canary.v1"
    catalogue.register(type_, "A canary: checks the event path end to end")(Canary)

    @inbox.handler("*.canary.v1")
    async def record(session: Any, event: Event) -> None:
        if event.source == catalogue.source:
            return  # our own canary, sent back by a wide subscription
        await session.execute(insert(tables.canary_receipts).values(
            event_id=event.id, source=event.source, subject=event.subject, sequence=event.sequence,
            published_at=datetime.fromisoformat(event.data["published_at"]),
        ))

    router = APIRouter(tags=["events"])

    @router.post("/events/canary", summary="Publish canary events", status_code=202,
                 dependencies=[require("admin")])
    async def send(body: CanaryIn, session: SessionDep) -> dict[str, Any]:
        """Publish `count` canary events on `subject` in one transaction; other services record them."""
        ids = []
        for _ in range(body.count):
            data = Canary(note=body.note, published_at=datetime.now(UTC))
            event = await publish(session, tables, catalogue.event(type_, body.subject, data))
            ids.append(str(event.id))
        return {"published": ids}

    @router.get("/events/canaries", summary="Canary events received here", dependencies=[require("admin")])
    async def received(session: SessionDep, source: Annotated[str | None, Query()] = None,
                       limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> dict[str, Any]:
        """Receipts in arrival order, with the latency from publication to the committed receipt."""
        r = tables.canary_receipts
        q = select(r).order_by(r.c.id).limit(limit)
        if source:
            q = q.where(r.c.source == source)
        rows = (await session.execute(q)).mappings().all()
        total = await session.scalar(select(func.count()).select_from(r))
        return {"total": total, "receipts": [
            {"event_id": str(x["event_id"]), "source": x["source"], "subject": x["subject"],
             "sequence": x["sequence"], "published_at": x["published_at"].isoformat(),
             "received_at": x["received_at"].isoformat(),
             "latency_ms": round((x["received_at"] - x["published_at"]).total_seconds() * 1000, 1)}
            for x in rows]}

    return router
