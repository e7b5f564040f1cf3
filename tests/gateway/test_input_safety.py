"""The gateway's own routes answer 422 naming the field, never 500, for input no column takes: the event feed's
cursor beyond 64 bits, a NUL in a token request or in a proxied request."""

from __future__ import annotations


def problem(r, field):
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in r.json()["errors"]], r.text


async def test_the_event_feed_cursor_beyond_64_bits_is_422(door, http):
    auth = await door.bearer("registry:read", "events:subscribe")
    problem(await http.get("/events", params={"types": "registry.*", "after": str(2**64)}, headers=auth), "query.after")
    r = await http.get("/events", params={"types": "registry.*", "after": str(2**63 - 1)}, headers=auth)
    assert r.status_code == 200 and r.json()["items"] == [], r.text


async def test_a_nul_in_a_token_request_is_422(http):
    r = await http.post(
        "/auth/token", data={"grant_type": "client_credentials", "client_id": "a\u0000b", "client_secret": "x"}
    )
    problem(r, "body.client_id")


async def test_a_nul_in_a_proxied_request_is_refused_by_the_service(door, http):
    auth = await door.bearer("registry:read")
    r = await http.post("/registry/echo/x", json={"name": "Lan\u0000"}, headers=auth)
    problem(r, "body.name")
