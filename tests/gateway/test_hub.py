"""The event hub at the gateway: publishing, partner webhooks, retries, dead letters, the feed."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from common.events.envelope import new_event
from common.testing import free_port, serve_in_background


class Receiver:
    """A partner's webhook endpoint: records what arrives; can be told to fail."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_with: int | None = None
        self.retry_after: str | None = None
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            if self.fail_with:
                headers = {"retry-after": self.retry_after} if self.retry_after else {}
                return Response("partner says no", status_code=self.fail_with, headers=headers)
            self.received.append((dict(request.headers), body))
            return Response(status_code=204)


@pytest.fixture
def hub(door):
    return door


@pytest.fixture
async def receiver():
    r = Receiver()
    port = free_port()
    async with serve_in_background(r.app, port) as url:
        r.url = f"{url}/hook"
        yield r


def event(type_: str = "registry.person.registered.v1", subject: str = "p-1", seq: int = 1, **data) -> dict:
    service = type_.split(".")[0]
    return {**new_event(f"/ansinh/{service}", type_, subject, data or {"x": 1}), "sequence": seq}


async def service_auth(hub, service: str = "registry") -> dict[str, str]:
    async with hub.gateway.state.sessionmaker() as session, session.begin():
        from gateway.auth import service as auth_service

        client_id, secret = f"svc-{service}", uuid.uuid4().hex
        await auth_service.ensure_service_client(session, client_id, secret, ["events:publish"])
    return {"Authorization": f"Bearer {await hub.token(client_id, secret)}"}


async def wait_until(check, within: float = 10.0):
    deadline = time.monotonic() + within
    while not (result := await check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
    return result


async def test_publish_is_deduplicated_and_limited_to_the_service_own_events(hub, http):
    auth = await service_auth(hub)
    batch = [event(subject="dedupe", seq=1), event(subject="dedupe", seq=2)]
    r = await http.post("/events", json=batch, headers=auth)
    assert r.json() == {"accepted": 2, "duplicates": 0}
    again = await http.post("/events", json=batch, headers=auth)
    assert again.status_code == 200 and again.json() == {"accepted": 0, "duplicates": 2}
    foreign = await http.post("/events", json=[event("payments.line.paid.v1")], headers=auth)
    assert foreign.status_code == 403
    bad = await http.post("/events", json=[{**event(), "type": "Not A Type"}], headers=auth)
    assert bad.status_code == 422 and any("type" in e["field"] for e in bad.json()["errors"])
    partner = await hub.bearer("registry:read")
    assert (await http.post("/events", json=[event()], headers=partner)).status_code == 403


async def test_partner_webhook_is_signed_and_verifiable(hub, http, receiver):
    partner = await hub.bearer("registry:read", "events:subscribe")
    r = await http.post("/subscriptions", json={"url": receiver.url, "types": ["registry.person.*"]}, headers=partner)
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    assert secret.startswith("whsec_")
    listed = (await http.get("/subscriptions", headers=partner)).json()
    assert [s["id"] for s in listed] == [r.json()["id"]] and listed[0]["secret"] is None
    sent = event(subject=f"p-{uuid.uuid4().hex[:6]}")
    other = event("registry.household.poverty_status_changed.v1")
    await http.post("/events", json=[sent, other], headers=await service_auth(hub))
    await wait_until(lambda: asyncio.sleep(0, result=bool(receiver.received)))
    headers, body = receiver.received[0]
    payload = Webhook(secret).verify(body, headers)  # the partner's own verification
    assert payload["id"] == sent["id"] and payload["type"] == "registry.person.registered.v1"
    assert headers["webhook-id"] == sent["id"]
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43).verify(body, headers)
    await asyncio.sleep(0.3)
    assert len(receiver.received) == 1  # the household event matched no pattern of this subscription


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://10.0.0.5/hook", "private"),
        ("http://partner.example.vn/hook", "https"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("ftp://example.com/x", "https"),
    ],
)
async def test_unsafe_webhook_urls_are_refused(hub, http, url, reason):
    partner = await hub.bearer("registry:read", "events:subscribe")
    r = await http.post("/subscriptions", json={"url": url, "types": ["registry.*"]}, headers=partner)
    assert r.status_code == 422 and reason in r.text


async def test_partners_subscribe_only_to_what_their_scopes_show(hub, http):
    postal = await hub.bearer("payments:disburse", "events:subscribe")
    r = await http.post("/subscriptions", json={"url": "http://127.0.0.1:9/x", "types": ["registry.*"]}, headers=postal)
    assert r.status_code == 422 and "registry:read" in r.text
    ok = await http.post(
        "/subscriptions", json={"url": "http://127.0.0.1:9/x", "types": ["payments.batch.*"]}, headers=postal
    )
    assert ok.status_code == 201
    other = await hub.bearer("payments:disburse", "events:subscribe")
    assert (await http.delete(f"/subscriptions/{ok.json()['id']}", headers=other)).status_code == 404
    assert (await http.delete(f"/subscriptions/{ok.json()['id']}", headers=postal)).status_code == 204


async def test_failing_endpoint_ends_in_dead_letter_and_can_be_redelivered(hub, http, receiver):
    partner = await hub.bearer("insurance:exchange", "events:subscribe")
    sub = (
        await http.post("/subscriptions", json={"url": receiver.url, "types": ["insurance.card.*"]}, headers=partner)
    ).json()
    receiver.fail_with = 500
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    ev = event("insurance.card.issued.v1", subject="card-1")
    await http.post("/events", json=[ev], headers=await service_auth(hub, "insurance"))

    async def dead():
        r = await http.get(f"/subscriptions/{sub['id']}/deliveries", params={"status": "dead"}, headers=partner)
        return r.json()["items"]

    items = await wait_until(dead)
    assert items[0]["event_id"] == ev["id"] and items[0]["attempts"] == 3
    assert items[0]["last_status"] == 500 and "partner says no" in items[0]["last_error"]
    receiver.fail_with = None
    r = await http.post(f"/subscriptions/{sub['id']}/redeliver", params={"since": since}, headers=partner)
    assert r.json() == {"requeued": 1}
    await wait_until(lambda: asyncio.sleep(0, result=bool(receiver.received)))
    assert receiver.received[0][1].decode().count(ev["id"]) == 1


async def test_retry_after_is_honoured(hub, http, receiver):
    partner = await hub.bearer("payments:read", "events:subscribe")
    sub = (
        await http.post("/subscriptions", json={"url": receiver.url, "types": ["payments.batch.*"]}, headers=partner)
    ).json()
    receiver.fail_with, receiver.retry_after = 429, "2"
    await http.post(
        "/events", json=[event("payments.batch.ready.v1", subject="b-1")], headers=await service_auth(hub, "payments")
    )

    async def pending_after_one_attempt():
        items = (await http.get(f"/subscriptions/{sub['id']}/deliveries", headers=partner)).json()["items"]
        return items if items and items[0]["attempts"] == 1 else None

    items = await wait_until(pending_after_one_attempt)
    wait = datetime.fromisoformat(items[0]["next_attempt_at"]) - datetime.fromisoformat(items[0]["created_at"])
    assert wait >= timedelta(seconds=1.9)  # not the 0.05 s backoff: the receiver asked for 2 s
    receiver.fail_with = None
    await wait_until(lambda: asyncio.sleep(0, result=bool(receiver.received)), within=10)


async def test_order_per_subject_at_a_partner(hub, http, receiver):
    partner = await hub.bearer("child_protection:read", "events:subscribe")
    await http.post("/subscriptions", json={"url": receiver.url, "types": ["child_protection.case.*"]}, headers=partner)
    batch = [
        event("child_protection.case.updated.v1", subject=f"case-{s}", seq=n) for n in range(1, 11) for s in range(5)
    ]
    await http.post("/events", json=batch, headers=await service_auth(hub, "child_protection"))
    await wait_until(lambda: asyncio.sleep(0, result=len(receiver.received) == 50))
    import json

    seen: dict[str, list[int]] = {}
    for _, body in receiver.received:
        e = json.loads(body)
        seen.setdefault(e["subject"], []).append(e["sequence"])
    assert all(seqs == list(range(1, 11)) for seqs in seen.values()) and len(seen) == 5


async def test_pull_feed_with_cursor_and_scope_check(hub, http):
    auth = await service_auth(hub)
    subject = f"feed-{uuid.uuid4().hex[:6]}"
    batch = [event("registry.beneficiary.approved.v1", subject=subject, seq=n) for n in range(1, 6)]
    await http.post("/events", json=batch, headers=auth)
    reader = await hub.bearer("registry:read", "events:subscribe")
    seen, cursor = [], "0"
    while True:
        page = (
            await http.get(
                "/events", params={"types": "registry.beneficiary.*", "after": cursor, "limit": 2}, headers=reader
            )
        ).json()
        seen += [e["id"] for e in page["items"] if e["subject"] == subject]
        if not page["items"]:
            break
        cursor = page["next_cursor"]
    assert seen == [e["id"] for e in batch]
    nosy = await hub.bearer("payments:disburse", "events:subscribe")
    r = await http.get("/events", params={"types": "registry.*"}, headers=nosy)
    assert r.status_code == 422
