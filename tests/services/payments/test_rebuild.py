"""Rebuilding the projection from the hub's feed (what `ansinh payments rebuild-projection` runs)."""

import uuid

import httpx
import pytest

from ansinh.payments_cli import feed as hub_feed
from services.payments.consumers import PROJECTED
from services.payments.events import EVENTS
from services.payments.projection import service

from .helpers import feed, generate, line_of, maker, period, poverty, schedule


def hub(events):
    """The gateway's `GET /events` over a list of events, two per page."""
    stored = [{"position": i + 1, **e.model_dump(mode="json")} for i, e in enumerate(events)]

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer t"
        assert request.url.params["types"] == ",".join(PROJECTED)
        after = int(request.url.params["after"])
        page = [e for e in stored if e["position"] > after][:2]
        return httpx.Response(200, json={"items": page, "next_cursor": str(page[-1]["position"]) if page else None})

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


async def test_a_rebuild_replays_the_feed_into_an_empty_projection(app, http, minter):
    a, b, household = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a1 = schedule(a, 1, [period("2024-07", None, 750_000)])
    a2 = schedule(a, 2, [period("2024-07", None, 1_000_000, "5.5a", "2.0")])
    b1 = schedule(b, 1, [period("2025-01", None, 500_000)])
    poor = poverty(household, "poor", "2025-01-01")
    stray = uuid.uuid4()
    await feed(app, a1, schedule(stray, 1, [period("2024-07", None, 9_999_000)]))  # the copy drifted
    replayed = [a1, b1, a2, poor]
    async with app.state.sessionmaker() as session, hub(replayed) as client:
        applied = await service.rebuild(session, EVENTS.inbox, PROJECTED, hub_feed(client, "http://gw", "t", PROJECTED))
        await session.commit()
    assert applied == len(replayed)
    assert (await http.get(f"/beneficiaries/{a}", headers=maker(minter))).json()["version"] == 2
    assert (await http.get(f"/beneficiaries/{stray}", headers=maker(minter))).status_code == 404
    payroll = await generate(http, minter, "monthly_allowance", "2026-01")
    assert {
        (x["recipient_id"], x["total"])
        for x in [await line_of(http, minter, payroll, a), await line_of(http, minter, payroll, b)]
    } == {(str(a), 1_000_000), (str(b), 500_000)}
    quarter = await generate(http, minter, "electricity", "2026-Q1")
    assert (await line_of(http, minter, quarter, household))["total"] == 138_000


async def test_a_client_limited_to_areas_cannot_rebuild_from_a_partial_feed(test_db, minter):
    from fastapi import FastAPI

    from ansinh.payments_cli import rebuild
    from common.testing import free_port, serve_in_background

    gateway = FastAPI()

    @gateway.post("/auth/token")
    async def token() -> dict[str, str]:
        return {
            "access_token": minter.token("registry:read", "events:subscribe", areas=("842",)),
            "token_type": "Bearer",
        }

    @gateway.get("/events")
    async def events() -> dict:  # never reached: the rebuild stops before reading the feed
        raise AssertionError("the feed was read")

    async with serve_in_background(gateway, free_port()) as url:
        with pytest.raises(RuntimeError, match="limited to areas 842"):
            await rebuild(test_db.urls["payments"], url, "officer-842", "secret")
