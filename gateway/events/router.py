"""HTTP surface of the event hub: publish (services), subscribe, deliveries, redelivery, pull feed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam

from common.auth import Principal, require
from common.db import SessionDep
from common.errors import ValidationFailed
from common.events.envelope import Event
from common.types import NonNegativeInt64

from . import repository
from . import service as hub_service
from .schemas import Accepted, DeliveryOut, Page, SubscriptionIn, SubscriptionOut

router = APIRouter(tags=["events"])


@router.post("/events", summary="Publish events (services)", response_model=Accepted)
async def publish(
    events: list[Event], session: SessionDep, principal: Annotated[Principal, require("events:publish")]
) -> Accepted:
    """Store a batch of CloudEvents once each (deduplicated on `id`: sending a batch again is success)
    and queue them for every matching subscription. Services call this from their outbox relay."""
    if len(events) > 1000:
        raise ValidationFailed([{"field": "body", "reason": "at most 1000 events per batch"}])
    accepted, duplicates = await hub_service.accept(session, principal, events)
    return Accepted(accepted=accepted, duplicates=duplicates)


@router.get("/events", summary="Read the event feed", response_model=Page)
async def pull(
    session: SessionDep,
    principal: Annotated[Principal, require("events:subscribe")],
    types: Annotated[str, Query(description="Comma-separated types or patterns, e.g. payments.batch.*")],
    after: Annotated[NonNegativeInt64, Query(description="Cursor: next_cursor of the previous page")] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> Page:
    """Events of the given types after the cursor, oldest first — for partners that poll instead of (or
    as well as) receiving webhooks. A client limited to areas gets only the events that concern one of them.
    Keep `next_cursor` and pass it as `after` next time."""
    patterns = [t.strip() for t in types.split(",") if t.strip()]
    hub_service.check_types_allowed(principal, patterns, field="types")
    rows = await repository.feed(
        session, [repository.like_pattern(p) for p in patterns], hub_service.visible_areas(principal), after, limit
    )
    return Page(
        items=[{"position": r.position, **r.envelope} for r in rows],
        next_cursor=str(rows[-1].position) if rows else (str(after) if after else None),
    )


def _out(sub: Any, secret: bool = False) -> SubscriptionOut:
    return SubscriptionOut(
        id=sub.id,
        url=sub.url,
        types=sub.types,
        areas=sub.areas or [],
        description=sub.description,
        created_at=sub.created_at,
        secret=sub.secret if secret else None,
    )


@router.post("/subscriptions", summary="Subscribe a webhook", status_code=201, response_model=SubscriptionOut)
async def subscribe(
    body: SubscriptionIn,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require("events:subscribe")],
) -> SubscriptionOut:
    """Receive events of `types` at `url` (https; not a private address). Each delivery is a POST of one
    CloudEvent, signed per Standard Webhooks with the `secret` returned here once: verify it with the
    `standardwebhooks` library. Answer 2xx within 10 s; anything else is retried with backoff. A client limited to
    areas gets only the events that concern one of them (`areas` of the subscription, which follow the client's)."""
    sub = await hub_service.subscribe(
        session, request.app.state.settings, principal, body.url, body.types, body.description
    )
    return _out(sub, secret=True)


@router.get("/subscriptions", summary="Your subscriptions", response_model=list[SubscriptionOut])
async def list_subscriptions(
    session: SessionDep, principal: Annotated[Principal, require("events:subscribe")]
) -> list[SubscriptionOut]:
    """Your webhook subscriptions (an admin sees every partner's). The AnSinh services' own inbox subscriptions
    are not listed: they are not partner data, and cannot be deleted through the API (`409`)."""
    owner = None if "admin" in principal.scopes else principal.client_id
    return [_out(s) for s in await repository.list_subscriptions(session, owner)]


SubId = Annotated[uuid.UUID, PathParam(description="Subscription id")]


@router.delete("/subscriptions/{sub_id}", summary="Unsubscribe", status_code=204)
async def unsubscribe(
    sub_id: SubId, session: SessionDep, principal: Annotated[Principal, require("events:subscribe")]
) -> None:
    """Stop deliveries to this subscription (its pending deliveries are dropped). An AnSinh service's own inbox
    subscription answers `409` (`internal-subscription`): deleting it would lose that service's events."""
    await hub_service.unsubscribe(session, principal, sub_id)


@router.get("/subscriptions/{sub_id}/deliveries", summary="Deliveries of a subscription", response_model=Page)
async def deliveries(
    sub_id: SubId,
    session: SessionDep,
    principal: Annotated[Principal, require("events:subscribe")],
    status: Annotated[str | None, Query(pattern="^(pending|delivered|dead)$")] = None,
    after: Annotated[NonNegativeInt64, Query()] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> Page:
    """Delivery attempts with their last status and error — `status=dead` lists the dead letters."""
    await hub_service.owned(session, principal, sub_id)
    rows = await repository.list_deliveries(session, sub_id, status, after, limit)
    items = [
        DeliveryOut(
            id=d.id,
            event_id=d.event_id,
            type=type_,
            subject=d.subject,
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
            last_status=d.last_status,
            last_error=d.last_error,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
        )
        for d, type_ in rows
    ]
    return Page(items=items, next_cursor=str(items[-1].id) if len(items) == limit else None)


@router.post("/subscriptions/{sub_id}/redeliver", summary="Deliver again")
async def redeliver(
    sub_id: SubId,
    session: SessionDep,
    principal: Annotated[Principal, require("events:subscribe")],
    since: Annotated[datetime, Query(description="Redeliver events queued at or after this instant")],
) -> dict[str, int]:
    """Queue again every dead or delivered event of this subscription since `since` (fresh attempts, in
    order per subject)."""
    sub = await hub_service.owned(session, principal, sub_id)
    return {"requeued": await repository.redeliver(session, sub_id, since, sub.territory or [])}


@router.get(
    "/events/inbox-subscription", summary="A service's own inbox subscription (internal)", include_in_schema=False
)
async def inbox_subscription(
    session: SessionDep,
    principal: Annotated[Principal, require("events:publish")],
    service: Annotated[str | None, Query(max_length=50)] = None,
) -> dict[str, Any]:
    """How the hub sees the caller's inbox subscription (`active`, `deleted` or `missing`): each service asks at
    start and every minute, and is not ready while it is not active."""
    return await hub_service.inbox_subscription(session, principal, service)


CHECK_PATH = "/events/inbox-subscription/check"


@router.post(CHECK_PATH, summary="A service checks its own inbox subscription (internal)", include_in_schema=False)
async def check_inbox(request: Request, session: SessionDep) -> dict[str, Any]:
    """Body `{"service": "<name>"}`, signed per Standard Webhooks with that service's inbox secret (no token):
    each service asks at start and every minute, and is not ready while the answer is not active with its
    secret."""
    return await hub_service.check_inbox(session, await request.body(), dict(request.headers))
