"""The event hub keeps partners to their areas: webhooks and the pull feed carry only the events that concern
the client's province, district or commune; events of no area go only to unrestricted subscribers."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import text

from common.territory import territory
from common.testing import free_port, serve_in_background
from gateway.auth import service as auth_service
from gateway.events import repository

from .test_hub import Receiver, event, service_auth, wait_until

# Trà Vinh (84): district Càng Long (844) with communes 29266 and 29278 (both codes still in force, as two different
# communes); district Cầu Kè (845), commune 29308. See tests/common/test_territory.py for what the areas cover.
PROVINCE, DISTRICT, COMMUNE, OTHER_COMMUNE = "84", "844", "29266", "29278"
FAR_DISTRICT, FAR_COMMUNE = "845", "29308"


def at(commune: str | None, district: str | None, province: str | None) -> dict:
    return {"commune_code": commune, "district_code": district, "province_code": province}


async def receivers(stack: AsyncExitStack, n: int) -> list[Receiver]:
    out = []
    for _ in range(n):
        r = Receiver()
        url = await stack.enter_async_context(serve_in_background(r.app, free_port()))
        r.url = f"{url}/hook"
        out.append(r)
    return out


async def subscribe(http, auth: dict, url: str, types: list[str]) -> dict:
    r = await http.post("/subscriptions", json={"url": url, "types": types}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


async def delivered_ids(http, auth: dict, sub_id: str) -> set[str]:
    """The events queued for a subscription (deliveries are created when the hub stores an event)."""
    r = await http.get(f"/subscriptions/{sub_id}/deliveries", headers=auth)
    assert r.status_code == 200, r.text
    return {d["event_id"] for d in r.json()["items"]}


def received_ids(receiver: Receiver, prefix: str) -> set[str]:
    return {e["id"] for e in (json.loads(body) for _, body in receiver.received) if e["subject"].startswith(prefix)}


async def test_webhooks_get_only_the_events_of_the_client_areas(door, http):
    commune = await door.bearer("registry:read", "events:subscribe", areas=(COMMUNE,))
    district = await door.bearer("registry:read", "events:subscribe", areas=(DISTRICT,))
    province = await door.bearer("registry:read", "events:subscribe", areas=(PROVINCE,))
    everywhere = await door.bearer("registry:read", "events:subscribe")
    partners = [commune, district, province, everywhere]
    async with AsyncExitStack() as stack:
        hooks = await receivers(stack, 4)
        subs = [
            await subscribe(http, auth, hook.url, ["registry.*"]) for auth, hook in zip(partners, hooks, strict=True)
        ]
        assert [s["areas"] for s in subs] == [[COMMUNE], [DISTRICT], [PROVINCE], []]
        listed = (await http.get("/subscriptions", headers=commune)).json()
        assert [(s["id"], s["areas"]) for s in listed] == [(subs[0]["id"], [COMMUNE])]

        p = f"areas-{uuid.uuid4().hex[:6]}-"
        here = event(subject=p + "1", **at(COMMUNE, DISTRICT, PROVINCE))
        next_door = event(
            "registry.beneficiary.entitlements_changed.v1",
            subject=p + "2",
            full_name="Nguyễn Văn A",
            national_id="084123456789",
            **at(OTHER_COMMUNE, DISTRICT, PROVINCE),
        )
        far = event(subject=p + "3", **at(FAR_COMMUNE, FAR_DISTRICT, PROVINCE))
        # A record of the 2025 units: province 86, no district. Its commune is on the ground of district 844 and
        # of province 84, so the clients given those pre-2025 codes get it too.
        no_district = event(subject=p + "4", **at(COMMUNE, "", "86"))
        canary = event("registry.canary.v1", subject=p + "5", note="after deployment")  # concerns no area
        batch = [here, next_door, far, no_district, canary]
        r = await http.post("/events", json=batch, headers=await service_auth(door))
        assert r.json() == {"accepted": 5, "duplicates": 0}

        expected = [
            {here["id"], no_district["id"]},
            {here["id"], next_door["id"], no_district["id"]},
            {here["id"], next_door["id"], far["id"], no_district["id"]},
            {e["id"] for e in batch},
        ]
        for auth, sub, want in zip(partners, subs, expected, strict=True):
            assert await delivered_ids(http, auth, sub["id"]) == want
        for hook, want in zip(hooks, expected, strict=True):
            await wait_until(lambda hook=hook, want=want: asyncio.sleep(0, result=received_ids(hook, p) == want))
        assert all(received_ids(hook, p) == want for hook, want in zip(hooks, expected, strict=True))


async def test_a_post_office_gets_only_its_communes_payments(door, http):
    post_office = await door.bearer("payments:disburse", "events:subscribe", areas=(COMMUNE,))
    async with AsyncExitStack() as stack:
        (hook,) = await receivers(stack, 1)
        sub = await subscribe(http, post_office, hook.url, ["payments.*"])
        p = f"pay-{uuid.uuid4().hex[:6]}-"
        mine = event("payments.line.paid.v1", subject=p + "1", amount=500_000, **at(COMMUNE, DISTRICT, PROVINCE))
        theirs = event(
            "payments.line.paid.v1", subject=p + "2", amount=500_000, **at(OTHER_COMMUNE, DISTRICT, PROVINCE)
        )
        payroll = event("payments.payroll.approved.v1", subject=p + "3", amount=9_000_000)  # province-wide totals
        await http.post("/events", json=[mine, theirs, payroll], headers=await service_auth(door, "payments"))
        assert await delivered_ids(http, post_office, sub["id"]) == {mine["id"]}
        await wait_until(lambda: asyncio.sleep(0, result=received_ids(hook, p) == {mine["id"]}))


async def feed_all(http, auth: dict, types: str, after: str = "0", limit: int = 100) -> tuple[list[dict], list[str]]:
    """Read the feed to its end as the partners' guide says; returns the items and every next_cursor seen."""
    items, cursors = [], []
    while True:
        r = await http.get("/events", params={"types": types, "after": after, "limit": limit}, headers=auth)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        cursors.append(page["next_cursor"])
        if not page["items"]:
            return items, cursors
        after = page["next_cursor"]


async def test_the_feed_filters_by_areas_and_its_cursor_moves_past_what_is_filtered_out(door, http):
    area = f"9{uuid.uuid4().int % 10_000:04d}"  # a commune of its own: only this test's events concern it
    p = f"feed-{uuid.uuid4().hex[:6]}-"
    elsewhere = at(FAR_COMMUNE, FAR_DISTRICT, PROVINCE)
    batch = [
        *(event(subject=f"{p}o{n}", **elsewhere) for n in range(3)),
        event(subject=p + "m0", **at(area, DISTRICT, PROVINCE)),
        *(event(subject=f"{p}b{n}", **elsewhere) for n in range(2)),
        event(subject=p + "m1", **at(area, DISTRICT, PROVINCE)),
        *(event(subject=f"{p}l{n}", **elsewhere) for n in range(3)),
        event("registry.canary.v1", subject=p + "c", note="x"),
    ]
    mine = [batch[3], batch[6]]
    await http.post("/events", json=batch, headers=await service_auth(door))
    unrestricted = await door.bearer("registry:read", "events:subscribe")
    everything, _ = await feed_all(http, unrestricted, "registry.*")
    position = {e["id"]: e["position"] for e in everything}
    assert set(position) >= {e["id"] for e in batch}  # no areas: every event, the canary included

    reader = await door.bearer("registry:read", "events:subscribe", areas=(area,))
    items, cursors = await feed_all(http, reader, "registry.*", limit=1)
    assert [e["id"] for e in items] == [e["id"] for e in mine]
    # Each page's cursor is past the events of other areas before it; the end leaves the cursor where it was.
    assert cursors == [str(position[mine[0]["id"]]), str(position[mine[1]["id"]]), str(position[mine[1]["id"]])]
    assert position[mine[0]["id"]] > max(position[e["id"]] for e in batch[:3])
    assert position[mine[1]["id"]] > max(position[e["id"]] for e in batch[4:6])

    admin_with_areas = await door.bearer("admin", areas=(area,))
    as_admin, _ = await feed_all(http, admin_with_areas, "registry.*")
    assert {e["id"] for e in as_admin} >= {e["id"] for e in batch}
    district = await door.bearer("registry:read", "events:subscribe", areas=(DISTRICT,))
    in_district, _ = await feed_all(http, district, "registry.*")
    assert {e["id"] for e in in_district if e["subject"].startswith(p)} == {e["id"] for e in mine}
    ground = set(territory((DISTRICT,)))  # the district and the communes, old and new, on its ground
    assert all(ground & {e["data"].get("district_code"), e["data"].get("commune_code")} for e in in_district)


async def test_update_client_moves_its_subscriptions_to_the_new_areas(door, http):
    client_id, secret = await door.new_client("registry:read", "events:subscribe", areas=(COMMUNE,))
    auth = {"Authorization": f"Bearer {await door.token(client_id, secret)}"}
    async with AsyncExitStack() as stack:
        (hook,) = await receivers(stack, 1)
        sub = await subscribe(http, auth, hook.url, ["registry.person.*"])
        publisher = await service_auth(door)
        # An event of the old commune, waiting at an endpoint that asked for an hour's patience.
        hook.fail_with, hook.retry_after = 503, "3600"
        waiting = event(subject=f"move-{uuid.uuid4().hex[:6]}", **at(COMMUNE, DISTRICT, PROVINCE))
        await http.post("/events", json=[waiting], headers=publisher)

        async def tried_once():
            items = (await http.get(f"/subscriptions/{sub['id']}/deliveries", headers=auth)).json()["items"]
            return items if items and items[0]["attempts"] == 1 else None

        assert [d["event_id"] for d in await wait_until(tried_once)] == [waiting["id"]]

        async with door.gateway.state.sessionmaker() as session, session.begin():
            await auth_service.update_client(session, client_id, areas=[OTHER_COMMUNE])
        auth = {"Authorization": f"Bearer {await door.token(client_id, secret)}"}
        [moved] = (await http.get("/subscriptions", headers=auth)).json()
        assert moved["id"] == sub["id"] and moved["areas"] == [OTHER_COMMUNE]
        assert await delivered_ids(http, auth, sub["id"]) == set()  # the old commune's pending event is dropped

        hook.fail_with = None
        old = event(subject=f"move-{uuid.uuid4().hex[:6]}", **at(COMMUNE, DISTRICT, PROVINCE))
        new = event(subject=f"move-{uuid.uuid4().hex[:6]}", **at(OTHER_COMMUNE, DISTRICT, PROVINCE))
        await http.post("/events", json=[old, new], headers=publisher)
        assert await delivered_ids(http, auth, sub["id"]) == {new["id"]}
        await wait_until(lambda: asyncio.sleep(0, result=received_ids(hook, "move-") == {new["id"]}))

        async with door.gateway.state.sessionmaker() as session, session.begin():
            await auth_service.update_client(session, client_id, areas=[])
        auth = {"Authorization": f"Bearer {await door.token(client_id, secret)}"}
        assert (await http.get("/subscriptions", headers=auth)).json()[0]["areas"] == []


async def test_a_revoked_client_subscriptions_end(door, http):
    client_id, secret = await door.new_client("registry:read", "events:subscribe", areas=(COMMUNE,))
    auth = {"Authorization": f"Bearer {await door.token(client_id, secret)}"}
    sub = await subscribe(http, auth, "http://127.0.0.1:9/x", ["registry.*"])
    async with door.gateway.state.sessionmaker() as session, session.begin():
        await auth_service.revoke_client(session, client_id)
    await http.post(
        "/events", json=[event(subject="revoked", **at(COMMUNE, DISTRICT, PROVINCE))], headers=await service_auth(door)
    )
    admin = await door.bearer("admin")
    assert sub["id"] not in {s["id"] for s in (await http.get("/subscriptions", headers=admin)).json()}
    async with door.gateway.state.sessionmaker() as session:
        queued = await session.scalar(
            text("SELECT count(*) FROM gateway.deliveries WHERE subscription_id = :s"), {"s": uuid.UUID(sub["id"])}
        )
    assert queued == 0


async def test_internal_inboxes_still_get_every_event(door, http):
    admin = await door.bearer("admin")
    async with AsyncExitStack() as stack:
        (hook,) = await receivers(stack, 1)
        name = f"test-{uuid.uuid4().hex[:6]}-inbox"
        async with door.gateway.state.sessionmaker() as session, session.begin():
            await repository.upsert_internal(
                session, name, hook.url, ["registry.*"], "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
            )
        async with door.gateway.state.sessionmaker() as session:
            sub = await repository.get_internal(session, name)
        assert sub is not None and sub.areas == []
        p = f"inbox-{uuid.uuid4().hex[:6]}-"
        batch = [
            event(subject=p + "1", **at(COMMUNE, DISTRICT, PROVINCE)),
            event(subject=p + "2", **at(FAR_COMMUNE, FAR_DISTRICT, PROVINCE)),
            event("registry.canary.v1", subject=p + "3", note="x"),
        ]
        await http.post("/events", json=batch, headers=await service_auth(door))
        await wait_until(lambda: asyncio.sleep(0, result=received_ids(hook, p) == {e["id"] for e in batch}))
        assert (await http.delete(f"/subscriptions/{sub.id}", headers=admin)).status_code == 409  # not partner data
        async with door.gateway.state.sessionmaker() as session, session.begin():
            await repository.end_subscriptions(session, sub_id=sub.id)


@pytest.mark.parametrize(
    ("data", "areas"),
    [
        (at(COMMUNE, DISTRICT, PROVINCE), [COMMUNE, DISTRICT, PROVINCE]),
        (at(COMMUNE, None, PROVINCE), [COMMUNE, PROVINCE]),
        ({"commune_code": COMMUNE}, [COMMUNE]),
        ({"note": "x"}, []),
    ],
)
async def test_the_hub_stores_the_areas_of_each_event(door, http, data, areas):
    ev = event(subject="stored-areas", **data)
    await http.post("/events", json=[ev], headers=await service_auth(door))
    async with door.gateway.state.sessionmaker() as session:
        stored = await session.scalar(
            text("SELECT areas FROM gateway.events WHERE id = :id"), {"id": uuid.UUID(ev["id"])}
        )
    assert stored == areas


def batch_ready(subject: str, commune: str, district: str, province: str, deadline: str) -> dict:
    return event(
        "payments.batch.ready.v1",
        subject=subject,
        line_count=1,
        amount=500_000,
        deadline=deadline,
        **at(commune, district, province),
    )


async def test_a_post_office_given_province_84_gets_the_batches_of_the_2025_communes(door, http):
    """The partners' guide created postal clients with ``--areas 84``; every batch since the reorganisation is in
    province 86 with no district. 84's ground holds Trà Vinh's new communes, not the rest of province 86."""
    post_office = await door.bearer("payments:disburse", "events:subscribe", areas=("84",))
    async with AsyncExitStack() as stack:
        (hook,) = await receivers(stack, 1)
        sub = await subscribe(http, post_office, hook.url, ["payments.batch.*"])
        p = f"b84-{uuid.uuid4().hex[:6]}-"
        in_tra_vinh = batch_ready(p + "1", "29242", "", "86", "2099-01-20")
        old_style = batch_ready(p + "2", "29239", "842", "84", "2099-01-20")
        ben_tre = batch_ready(p + "3", "28756", "", "86", "2099-01-20")  # a commune of Bến Tre, also now in 86
        await http.post("/events", json=[in_tra_vinh, old_style, ben_tre], headers=await service_auth(door, "payments"))
        assert await delivered_ids(http, post_office, sub["id"]) == {in_tra_vinh["id"], old_style["id"]}
        await wait_until(lambda: asyncio.sleep(0, result=len(received_ids(hook, p)) == 2))
        items, _ = await feed_all(http, post_office, "payments.batch.*")
        assert {e["id"] for e in items if e["subject"].startswith(p)} == {in_tra_vinh["id"], old_style["id"]}


async def test_changing_a_client_areas_offers_the_open_batches_of_its_new_ground(door, http):
    client_id, secret = await door.new_client("payments:disburse", "events:subscribe", areas=("29308",))
    auth = {"Authorization": f"Bearer {await door.token(client_id, secret)}"}
    async with AsyncExitStack() as stack:
        (hook,) = await receivers(stack, 1)
        sub = await subscribe(http, auth, hook.url, ["payments.batch.*"])
        p = f"offer-{uuid.uuid4().hex[:6]}-"
        mine = batch_ready(p + "mine", "29308", "", "86", "2099-01-20")
        # Phường Trà Vinh (29242): one batch open, one whose deadline has passed, one of old Phường 1 (in it).
        open_new = batch_ready(p + "open", "29242", "", "86", "2099-01-20")
        closed = batch_ready(p + "closed", "29242", "", "86", "2020-01-20")
        open_old = batch_ready(p + "old", "29239", "842", "84", "2099-01-20")
        line = event("payments.line.paid.v1", subject=p + "line", amount=1, **at("29242", "", "86"))
        elsewhere = batch_ready(p + "far", "29263", "", "86", "2099-01-20")
        await http.post(
            "/events",
            json=[mine, open_new, closed, open_old, line, elsewhere],
            headers=await service_auth(door, "payments"),
        )
        assert await delivered_ids(http, auth, sub["id"]) == {mine["id"]}
        await wait_until(lambda: asyncio.sleep(0, result=received_ids(hook, p) == {mine["id"]}))

        async with door.gateway.state.sessionmaker() as session, session.begin():
            updated = await auth_service.update_client(session, client_id, areas=["29308", "29242"])
        # The hub keeps every event: other tests' open batches of that ground are offered too.
        ours = {e["id"] for e in (mine, open_new, closed, open_old, line, elsewhere)}
        assert updated.offered_batches >= 2
        assert await delivered_ids(http, auth, sub["id"]) & ours == {mine["id"], open_new["id"], open_old["id"]}
        await wait_until(
            lambda: asyncio.sleep(0, result=received_ids(hook, p) == {mine["id"], open_new["id"], open_old["id"]})
        )
        # Offered once: the same change again offers nothing, and what was delivered is not sent twice.
        async with door.gateway.state.sessionmaker() as session, session.begin():
            assert (await auth_service.update_client(session, client_id, areas=["29308", "29242"])).offered_batches == 0
        assert len([1 for _, body in hook.received if json.loads(body)["subject"].startswith(p)]) == 3
