"""The registry through the gateway, on the real processes: what a field officer's app and a partner do.

An officer registers a household and a person in a 2025 commune, another client approves the application
(maker-checker), and the monthly entitlements carry the 2021, 2024 and retroactive 2026 standard levels and
the turning-80 coefficient; bad input gets precise problems; the events reach the hub's feed.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import httpx
import pytest

from ansinh.clients import in_gateway_db
from gateway.auth import service as auth_service

pytestmark = pytest.mark.e2e

COMMUNE = "29266"  # Xã Càng Long since 2025-07-01 (reuses the code of the old Thị trấn Càng Long)
DOB = "1944-05-10"


def national_id(year: int, female: bool) -> str:
    digit = (2 if year >= 2000 else 0) + (1 if female else 0)
    return f"084{digit}{year % 100:02d}{random.randrange(10**6):06d}"


async def client(stack, scopes: list[str], areas: list[str]) -> dict[str, str]:
    """A new client of the gateway and a token for it, as the department would hand to a partner."""
    client_id = f"e2e-{uuid.uuid4().hex[:8]}"

    async def create(session):
        return (
            await auth_service.create_client(
                session, client_id, scopes=scopes, areas=areas, rate_per_second=1000, burst=1000
            )
        ).secret

    secret = await in_gateway_db(stack.config.urls()["gateway"], create)
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30) as http:
        r = await http.post("/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
        assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
async def gw(stack):
    async with httpx.AsyncClient(base_url=stack.url("gateway") + "/registry", timeout=30) as http:
        yield http


async def test_officer_registers_and_another_client_approves_then_entitlements_and_events(stack, gw):
    officer = await client(stack, ["registry:read", "registry:write"], [COMMUNE])
    chairman = await client(stack, ["registry:read", "registry:write"], ["86"])
    partner = await client(stack, ["registry:read", "events:subscribe"], [])

    r = await gw.post(
        "/persons",
        headers=officer,
        json={
            "full_name": "Trần Văn Ba",
            "date_of_birth": DOB,
            "sex": "male",
            "national_id": national_id(1944, False),
            "commune_code": COMMUNE,
            "address_line": "Ấp Hạnh Phúc",
        },
    )
    assert r.status_code == 201, r.text
    person = r.json()
    assert (person["province_code"], person["district_code"]) == ("86", "")
    r = await gw.post(
        "/households",
        headers=officer,
        json={
            "code": f"HGD-{uuid.uuid4().hex[:8]}",
            "commune_code": COMMUNE,
            "members": [{"person_id": person["id"], "relationship": "head"}],
            "poverty": {"status": "poor", "valid_from": "2026-01-01", "document": "QĐ 12/QĐ-UBND ngày 05/01/2026"},
        },
    )
    assert r.status_code == 201, r.text

    r = await gw.post(
        "/applications",
        headers=officer,
        json={"person_id": person["id"], "categories": ["5.5a"], "note": "hồ sơ xã Càng Long"},
    )
    assert r.status_code == 201, r.text
    application = r.json()["id"]
    approval = {
        "number": "123/QĐ-UBND",
        "signed_on": "2021-01-15",
        "authority": "Chủ tịch UBND huyện Càng Long",
        "effective_month": "2021-01",
    }
    r = await gw.post(f"/applications/{application}/approve", headers=officer, json=approval)
    assert r.status_code == 403 and "maker-checker" in r.json()["type"]
    r = await gw.post(f"/applications/{application}/approve", headers=chairman, json=approval)
    assert r.status_code == 201, r.text
    beneficiary = r.json()["id"]

    r = await gw.get(
        f"/beneficiaries/{beneficiary}/entitlements", params={"from": "2021-01", "to": "2026-12"}, headers=officer
    )
    assert r.status_code == 200, r.text
    amounts = {m["month"]: m["amount"] for m in r.json()["months"]}
    assert len(amounts) == 72
    assert amounts["2021-01"] == amounts["2021-06"] == 405_000  # 270,000 × 1.5
    assert amounts["2021-07"] == amounts["2024-04"] == 540_000  # 360,000 × 1.5 (Decree 20/2021)
    assert amounts["2024-05"] == amounts["2024-06"] == 720_000  # turns 80 in May 2024: coefficient 2.0
    assert amounts["2024-07"] == amounts["2026-06"] == 1_000_000  # 500,000 × 2.0 (Decree 76/2024)
    assert amounts["2026-07"] == amounts["2026-12"] == 1_080_000  # the retroactive 2026 level

    # The events reach the hub: a partner reads them from the feed.
    wanted = {("registry.person.registered.v1", person["id"]), ("registry.beneficiary.approved.v1", beneficiary)}
    seen: set[tuple[str, str]] = set()
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=10) as hub:
        after = 0
        while not wanted <= seen and time.monotonic() < deadline:
            r = await hub.get("/events", params={"types": "registry.*", "after": after}, headers=partner)
            assert r.status_code == 200, r.text
            page = r.json()
            seen |= {(e["type"], e["subject"]) for e in page["items"]}
            after = int(page["next_cursor"] or after)
            if not page["items"]:
                await asyncio.sleep(0.2)
    assert wanted <= seen


async def test_bad_input_gets_precise_problems_through_the_gateway(stack, gw):
    officer = await client(stack, ["registry:read", "registry:write"], [COMMUNE])
    base = {"full_name": "Nguyễn Thị Lan", "date_of_birth": "1950-03-02", "sex": "female", "commune_code": COMMUNE}

    r = await gw.post("/persons", headers=officer, json={**base, "national_id": national_id(1950, False)})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert any(e["field"] == "body.national_id" and "sex" in e["reason"] for e in r.json()["errors"]), r.text

    r = await gw.post("/persons", headers=officer, json={**base, "commune_code": "29269"})  # ended 2025-07-01
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.commune_code" and "29266" in r.json()["errors"][0]["reason"]

    first = (await gw.post("/persons", headers=officer, json=base)).json()
    second = (await gw.post("/persons", headers=officer, json={**base, "full_name": "Lê Văn Hai"})).json()
    r = await gw.post(
        "/households",
        headers=officer,
        json={
            "commune_code": COMMUNE,
            "members": [
                {"person_id": first["id"], "relationship": "head"},
                {"person_id": second["id"], "relationship": "head"},
            ],
        },
    )
    assert r.status_code == 422 and "head" in r.text

    url = f"/persons/{first['id']}"
    r = await gw.patch(url, headers={**officer, "If-Match": '"1"'}, json={"phone": "0912345678"})
    assert r.status_code == 200 and r.headers["etag"] == '"2"'
    r = await gw.patch(url, headers={**officer, "If-Match": '"1"'}, json={"phone": "0987654321"})
    assert r.status_code == 412 and r.headers["content-type"] == "application/problem+json"
    r = await gw.get(url, headers=officer)
    assert r.json()["phone"] == "0912345678"
