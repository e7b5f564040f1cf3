"""Use cases of the event hub: accepting events, partner subscriptions, the pull feed."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Iterable

import orjson
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from common.auth import Principal
from common.errors import Forbidden, NotFound, ValidationFailed
from common.events.envelope import Event

from ..models import Subscription
from ..settings import GatewaySettings
from . import repository, urlsafety
from .exceptions import InternalSubscription

# Which scopes let a partner see the events of a service.
READ_SCOPES: dict[str, tuple[str, ...]] = {
    "registry": ("registry:read",),
    "payments": ("payments:read", "payments:disburse"),
    "insurance": ("insurance:read", "insurance:exchange"),
    "child_protection": ("child_protection:read", "child_protection:case"),
}


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_publisher(principal: Principal, events: list[Event]) -> None:
    """A service publishes only its own events: client ``svc-registry`` → ``registry.*`` from /ansinh/registry."""
    if "admin" in principal.scopes:
        return
    service = principal.client_id.removeprefix("svc-")
    bad = [i for i, e in enumerate(events) if e.type.split(".")[0] != service or e.source != f"/ansinh/{service}"]
    if bad:
        raise Forbidden(
            f"client {principal.client_id!r} may publish only {service}.* events from /ansinh/{service}",
            rejected=[str(events[i].id) for i in bad],
        )


def check_types_allowed(principal: Principal, patterns: Iterable[str], field: str = "types") -> None:
    if "admin" in principal.scopes:
        return
    errors = []
    for pattern in patterns:
        service = pattern.split(".")[0]
        allowed = READ_SCOPES.get(service)
        if allowed is None:
            errors.append(
                {"field": field, "reason": f"{pattern!r}: start with a service name ({', '.join(READ_SCOPES)})"}
            )
        elif not principal.scopes & set(allowed):
            errors.append({"field": field, "reason": f"{pattern!r} needs one of the scopes {' '.join(allowed)}"})
    if errors:
        raise ValidationFailed(errors)


def visible_areas(principal: Principal) -> list[str] | None:
    """The area codes whose events ``principal`` may see (its areas' territory, old and new codes); None when it
    may see every event (no areas, or admin)."""
    areas = principal.limited_to
    return None if areas is None else sorted(set(areas))


async def accept(session: AsyncSession, principal: Principal, events: list[Event]) -> tuple[int, int]:
    check_publisher(principal, events)
    envelopes = [e.model_dump(mode="json") for e in events]
    unique = list({e["id"]: e for e in envelopes}.values())
    new = await repository.store_events(session, unique)
    return len(new), len(envelopes) - len(new)


async def subscribe(
    session: AsyncSession, settings: GatewaySettings, principal: Principal, url: str, types: list[str], description: str
) -> Subscription:
    check_types_allowed(principal, types)
    await urlsafety.check_webhook_url(url, environment=settings.environment, allowlist=settings.webhook_allowlist)
    territory = visible_areas(principal) or []
    sub = Subscription(
        id=uuid.uuid4(),
        owner=principal.client_id,
        url=url,
        types=sorted(set(types)),
        secret=new_secret(),
        description=description,
        areas=sorted(set(principal.areas)) if territory else [],
        territory=territory,
    )
    session.add(sub)
    await session.flush()
    return sub


async def owned(session: AsyncSession, principal: Principal, sub_id: uuid.UUID) -> Subscription:
    sub = await repository.get_subscription(session, sub_id)
    if (
        sub is None
        or sub.deleted_at is not None
        or (sub.owner != principal.client_id and "admin" not in principal.scopes)
    ):
        raise NotFound(f"no subscription {sub_id} of yours")
    return sub


async def unsubscribe(session: AsyncSession, principal: Principal, sub_id: uuid.UUID) -> None:
    sub = await owned(session, principal, sub_id)
    if sub.name is not None:
        raise InternalSubscription(
            f"subscription {sub_id} is {sub.name!r}, the inbox of an AnSinh service: it cannot be deleted or "
            "changed through the API (its events would be lost); operators manage it with `ansinh events`",
            name=sub.name,
        )
    await repository.end_subscriptions(session, sub_id=sub.id)


INBOX_SUFFIX = "-inbox"


def internal_name(service: str) -> str:
    """The name of a service's own subscription at the hub (its inbox): ``payments`` → ``payments-inbox``."""
    return f"{service}{INBOX_SUFFIX}"


async def inbox_subscription(session: AsyncSession, principal: Principal, service: str | None) -> dict[str, object]:
    """How the hub sees a service's inbox subscription: ``active``, ``deleted`` (ended, receives nothing) or
    ``missing``. A service asks about its own (client ``svc-<service>``); an admin about any ``service``."""
    own = principal.client_id.removeprefix("svc-") if principal.client_id.startswith("svc-") else None
    if service is None or service == own:
        service = own
    elif "admin" not in principal.scopes:
        raise Forbidden(f"client {principal.client_id!r} may ask only about its own inbox subscription")
    if service is None:
        raise ValidationFailed([{"field": "service", "reason": "name the service (you are not a service client)"}])
    answer = await _describe_inbox(session, service)
    answer.pop("_secret", None)
    return answer


async def check_inbox(session: AsyncSession, body: bytes, headers: dict[str, str]) -> dict[str, object]:
    """A service's own check of its inbox subscription, signed (Standard Webhooks) with its inbox secret instead
    of a token: no token to fetch (a client-secret check costs the gateway ~0.1 s of CPU), and it proves the hub
    holds the same secret as the service — with another one, every delivery would be refused. The body is
    ``{"service": "<name>"}``. Without a matching signature only the status is told, not the url or types."""
    try:
        service = orjson.loads(body)["service"]
        if not isinstance(service, str) or not service.isidentifier():
            raise ValueError(service)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed([{"field": "body.service", "reason": "a service name, e.g. payments"}]) from exc
    answer = await _describe_inbox(session, service)
    secret = answer.pop("_secret", None)
    if secret is None:
        return answer
    try:
        Webhook(str(secret)).verify(body, headers, json_parse=False)
    except WebhookVerificationError:
        return {"name": answer["name"], "status": answer["status"], "secret": "differs"}
    return {**answer, "secret": "matches"}


async def _describe_inbox(session: AsyncSession, service: str) -> dict[str, object]:
    name = internal_name(service)
    sub = await repository.get_internal(session, name)
    if sub is None:
        return {"id": None, "name": name, "status": "missing", "url": None, "types": [], "deleted_at": None}
    return {
        "id": sub.id,
        "name": name,
        "status": "deleted" if sub.deleted_at is not None else "active",
        "url": sub.url,
        "types": sub.types,
        "deleted_at": sub.deleted_at,
        "_secret": sub.secret,
    }
