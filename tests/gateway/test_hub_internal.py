"""The services' own inbox subscriptions: hidden from partners, not deletable through the API, and repaired
without losing an event the hub accepted while they were gone."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook

from gateway.events import repository
from tests.gateway import test_hub
from tests.gateway.test_hub import event, service_auth, wait_until

receiver = test_hub.receiver  # the recording webhook endpoint fixture


@pytest.fixture
async def inbox(door, receiver):
    """An internal subscription (as `ansinh up` makes them) to a recording endpoint, on types of its own."""
    tag = f"t{uuid.uuid4().hex[:8]}"
    sub = {
        "name": f"{tag}-inbox",
        "url": receiver.url,
        "types": [f"registry.{tag}.*"],
        "secret": "whsec_" + "A" * 44,
        "tag": tag,
        "type": f"registry.{tag}.happened.v1",
    }
    async with door.gateway.state.sessionmaker() as s, s.begin():
        await repository.upsert_internal(s, sub["name"], sub["url"], sub["types"], sub["secret"])
        sub["id"] = (await repository.get_internal(s, sub["name"])).id
    yield sub
    async with door.gateway.state.sessionmaker() as s, s.begin():
        await repository.end_subscriptions(s, sub_id=sub["id"])


def received_ids(receiver) -> list[str]:
    return [orjson.loads(body)["id"] for _, body in receiver.received]


async def publish(door, http, inbox, count: int, subject: str) -> list[str]:
    batch = [event(inbox["type"], subject=subject, seq=i + 1) for i in range(count)]
    r = await http.post("/events", json=batch, headers=await service_auth(door))
    assert r.status_code == 200 and r.json()["accepted"] == count, r.text
    return [e["id"] for e in batch]


async def all_delivered(door, receiver, ids: list[str]) -> None:
    """Every id arrived and nothing is left pending for the subscription; then each arrived exactly once."""

    async def done() -> bool:
        async with door.gateway.state.sessionmaker() as s:
            pending = await s.scalar(
                text(
                    "SELECT count(*) FROM gateway.deliveries d JOIN gateway.subscriptions s ON s.id = "
                    "d.subscription_id "
                    "WHERE s.url = :url AND d.status = 'pending'"
                ),
                {"url": receiver.url},
            )
        return pending == 0 and set(ids) <= set(received_ids(receiver))

    await wait_until(done)
    counts = Counter(received_ids(receiver))
    assert {i: counts[i] for i in ids} == {i: 1 for i in ids}


async def test_internal_subscriptions_are_not_listed_and_cannot_be_deleted(door, http, inbox):
    admin = await door.bearer("admin")
    listed = (await http.get("/subscriptions", headers=admin)).json()
    assert inbox["id"] not in {uuid.UUID(s["id"]) for s in listed}

    r = await http.delete(f"/subscriptions/{inbox['id']}", headers=admin)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"].endswith("/internal-subscription") and problem["name"] == inbox["name"]
    assert "cannot be deleted" in problem["detail"]
    partner = await door.bearer("registry:read", "events:subscribe")
    assert (await http.delete(f"/subscriptions/{inbox['id']}", headers=partner)).status_code == 404

    state = await http.get("/events/inbox-subscription", params={"service": inbox["tag"]}, headers=admin)
    assert state.status_code == 200 and state.json()["status"] == "active"
    assert state.json()["id"] == str(inbox["id"])  # to read its deliveries and dead letters
    assert (
        await http.get("/events/inbox-subscription", params={"service": inbox["tag"]}, headers=partner)
    ).status_code == 403


def signed(service: str, secret: str) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps({"service": service})
    now = datetime.now(UTC)
    return body, {
        "content-type": "application/json",
        "webhook-id": "check_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign("check_1", now, body),
    }


async def test_a_service_checks_its_inbox_with_its_inbox_secret_and_no_token(door, http, inbox):
    body, headers = signed(inbox["tag"], inbox["secret"])
    r = await http.post("/events/inbox-subscription/check", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() | {"id": None, "deleted_at": None} == {
        "id": None,
        "name": inbox["name"],
        "status": "active",
        "url": inbox["url"],
        "types": inbox["types"],
        "deleted_at": None,
        "secret": "matches",
    }
    # Signed with another secret: the hub's deliveries would be refused. Told, but not the url or types.
    body, headers = signed(inbox["tag"], "whsec_" + "B" * 44)
    other = await http.post("/events/inbox-subscription/check", content=body, headers=headers)
    assert other.json() == {"name": inbox["name"], "status": "active", "secret": "differs"}
    body, headers = signed(f"nobody{inbox['tag']}", inbox["secret"])
    missing = await http.post("/events/inbox-subscription/check", content=body, headers=headers)
    assert missing.json()["status"] == "missing"
    bad = await http.post(
        "/events/inbox-subscription/check", content=b'{"service": "../x"}', headers={"content-type": "application/json"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.service"


async def test_a_service_asks_about_its_own_inbox_only(door, http):
    own = await http.get("/events/inbox-subscription", headers=await service_auth(door, "insurance"))
    assert own.status_code == 200 and own.json()["name"] == "insurance-inbox"
    other = await http.get(
        "/events/inbox-subscription", params={"service": "payments"}, headers=await service_auth(door, "insurance")
    )
    assert other.status_code == 403


async def test_an_ended_inbox_is_repaired_with_every_event_it_missed_exactly_once(door, http, receiver, inbox):
    before = await publish(door, http, inbox, 3, "a")
    await all_delivered(door, receiver, before)

    maker = door.gateway.state.sessionmaker
    async with maker() as s, s.begin():
        # Accepted while the subscription lived, still pending when it ended (as a DELETE used to do).
        pending_at_end = [event(inbox["type"], subject="b", seq=i + 1) for i in range(2)]
        await repository.store_events(s, pending_at_end)
        await repository.end_subscriptions(s, sub_id=inbox["id"])
    gap = await publish(door, http, inbox, 3, "a") + await publish(door, http, inbox, 1, "c")
    admin = await door.bearer("admin")
    state = (await http.get("/events/inbox-subscription", params={"service": inbox["tag"]}, headers=admin)).json()
    assert state["status"] == "deleted" and state["deleted_at"]
    await asyncio.sleep(0.3)
    assert set(received_ids(receiver)) == set(before)  # nothing reaches an ended subscription

    async with maker() as s, s.begin():
        done = await repository.upsert_internal(s, inbox["name"], inbox["url"], inbox["types"], inbox["secret"])
    assert (done.found, done.replayed) == ("deleted", 6)
    missed = [e["id"] for e in pending_at_end] + gap
    await all_delivered(door, receiver, before + missed)
    assert len(receiver.received) == 9
    # Each subject still in order: "a" got its 3 first events, then the 3 of the gap.
    a_subject = [i for i in received_ids(receiver) if i in before or i in gap[:3]]
    assert a_subject == before + gap[:3]

    async with maker() as s, s.begin():  # repairing again finds nothing more to send
        again = await repository.upsert_internal(s, inbox["name"], inbox["url"], inbox["types"], inbox["secret"])
    assert (again.found, again.replayed) == ("active", 0)


async def test_a_removed_inbox_is_recreated_and_replays_from_a_position(door, http, receiver, inbox):
    first = await publish(door, http, inbox, 2, "x")
    await all_delivered(door, receiver, first)
    maker = door.gateway.state.sessionmaker
    async with maker() as s, s.begin():  # removed by hand, history and all
        await s.execute(text("DELETE FROM gateway.deliveries WHERE subscription_id = :id"), {"id": inbox["id"]})
        await s.execute(text("DELETE FROM gateway.subscriptions WHERE id = :id"), {"id": inbox["id"]})
        position = await s.scalar(text("SELECT max(position) FROM gateway.events"))
    gap = await publish(door, http, inbox, 2, "x")
    admin = await door.bearer("admin")
    state = (await http.get("/events/inbox-subscription", params={"service": inbox["tag"]}, headers=admin)).json()
    assert state["status"] == "missing"

    async with maker() as s, s.begin():  # what a gateway start does: makes it, cannot know what it missed
        done = await repository.upsert_internal(s, inbox["name"], inbox["url"], inbox["types"], inbox["secret"])
        inbox["id"] = (await repository.get_internal(s, inbox["name"])).id
    assert (done.found, done.replayed) == ("missing", 0)
    async with maker() as s, s.begin():  # the operator's repair from the position where it was removed
        done = await repository.upsert_internal(
            s, inbox["name"], inbox["url"], inbox["types"], inbox["secret"], replay_after=position
        )
    assert (done.found, done.replayed) == ("active", 2)
    await all_delivered(door, receiver, first + gap)
