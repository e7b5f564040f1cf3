"""Health insurance through the real processes: registry → hub → insurance → BHXH → hub → a partner's webhook.

An officer registers a child and an elderly person in the registry and a chairman approves the elderly person's
allowance; insurance learns of them from the registry's events only (the decision worker decides TE and BT). The
department builds the period's list; BHXH (a partner limited to the commune) downloads it as CSV with the identity
fields insurance read from the registry through the gateway, fills in card numbers and uploads the file with an
Idempotency-Key; the cards are issued and `insurance.card.issued.v1` reaches BHXH's webhook, signed. A hospital then
checks coverage through the gateway. (The webhook is https on loopback: the stack trusts a test certificate and
allows loopback partners, see conftest.)
"""

from __future__ import annotations

import asyncio
import csv
import io

import httpx
import pytest
from fastapi import FastAPI, Request
from standardwebhooks.webhooks import Webhook

from common.testing import free_port, serve_in_background

from .test_payments import as_csv, eventually
from .test_registry import client, national_id

pytestmark = pytest.mark.e2e

COMMUNE = "29308"  # Xã Cầu Kè since 2025-07-01 (old district 845): no other e2e test registers anyone there
PERIOD = "2026-12"


def receiver() -> tuple[FastAPI, list[tuple[dict[str, str], bytes]]]:
    app = FastAPI()
    received: list[tuple[dict[str, str], bytes]] = []

    @app.post("/hook")
    async def hook(request: Request) -> dict[str, str]:
        received.append((dict(request.headers), await request.body()))
        return {"ok": "yes"}

    return app, received


async def test_a_child_and_a_beneficiary_get_cards_from_bhxh_and_the_partner_is_told(stack):
    officer = await client(stack, ["registry:read", "registry:write", "insurance:read", "insurance:write"], [COMMUNE])
    chairman = await client(stack, ["registry:read", "registry:write"], ["86"])
    bhxh = await client(stack, ["insurance:exchange", "events:subscribe"], [COMMUNE])
    hospital = await client(stack, ["insurance:coverage"], [])
    hook_app, received = receiver()
    port = free_port()
    async with (
        serve_in_background(hook_app, port, **stack.webhook_tls) as hook_url,
        httpx.AsyncClient(base_url=stack.url("gateway"), timeout=60) as gw,
    ):
        elder_nid = national_id(1948, False)
        r = await gw.post(
            "/registry/persons",
            headers=officer,
            json={
                "full_name": "Thạch Thị Sa",
                "date_of_birth": "2026-09-01",
                "sex": "female",
                "national_id": national_id(2026, True),
                "commune_code": COMMUNE,
            },
        )
        assert r.status_code == 201, r.text
        child = r.json()["id"]
        r = await gw.post(
            "/registry/persons",
            headers=officer,
            json={
                "full_name": "Kim Văn Sóc",
                "date_of_birth": "1948-03-02",
                "sex": "male",
                "national_id": elder_nid,
                "commune_code": COMMUNE,
                "address_line": "Khóm 3",
            },
        )
        assert r.status_code == 201, r.text
        elder = r.json()["id"]
        r = await gw.post("/registry/applications", headers=officer, json={"person_id": elder, "categories": ["5.5a"]})
        assert r.status_code == 201, r.text
        r = await gw.post(
            f"/registry/applications/{r.json()['id']}/approve",
            headers=chairman,
            json={
                "number": "12/QĐ-UBND",
                "signed_on": "2026-11-20",
                "authority": "Chủ tịch UBND xã Cầu Kè",
                "effective_month": "2026-12",
            },
        )
        assert r.status_code == 201, r.text

        async def decided() -> dict | None:  # type: ignore[type-arg]
            got = {}
            for person in (child, elder):
                r = await gw.get(f"/insurance/persons/{person}/cards", headers=officer)
                if r.status_code != 200 or not r.json()["entitlements"]:
                    return None
                got[person] = r.json()["entitlements"]
            return got

        entitlements = await eventually(decided, "insurance deciding from the registry's events", within=60)
        assert [e["group"] for e in entitlements[child]] == ["TE"]
        assert entitlements[child][0]["valid_to"] == "2032-09-30"
        assert [(e["group"], e["valid_from"]) for e in entitlements[elder]] == [("BT", "2026-12-01")]

        r = await gw.post(
            "/subscriptions", headers=bhxh, json={"url": f"{hook_url}/hook", "types": ["insurance.card.*"]}
        )
        assert r.status_code == 201, r.text
        secret = r.json()["secret"]
        r = await gw.post("/insurance/lists", headers=officer, json={"period": PERIOD})
        assert r.status_code in (201, 409), r.text
        listed = (await gw.get("/insurance/lists", headers=bhxh)).json()
        lst = next(x for x in listed if x["period"] == PERIOD)

        r = await gw.get(f"/insurance/lists/{lst['id']}/download", params={"format": "csv"}, headers=bhxh)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][:6] == ["STT", "Mã người", "Họ và tên", "Ngày sinh", "Giới tính", "Số định danh cá nhân"]
        mine = {row[1]: row for row in rows[1:]}
        assert set(mine) == {child, elder}  # BHXH of this commune sees only its people
        assert (mine[elder][2], mine[elder][5], mine[elder][10], mine[elder][11]) == (
            "Kim Văn Sóc",
            elder_nid,
            "Tăng mới",
            "BT",
        )
        cards = {
            child: ["Đã cấp thẻ", "TE1860000004401", mine[child][13], mine[child][14], ""],
            elder: ["Đã cấp thẻ", "BT2860000004402", mine[elder][13], "", ""],
        }
        filled = [rows[0]] + [row[:16] + cards[row[1]] for row in rows[1:]]
        headers = {**bhxh, "Content-Type": "text/csv", "Idempotency-Key": f"bhxh-{lst['id']}"}
        r = await gw.post(f"/insurance/lists/{lst['id']}/results/file", content=as_csv(filled), headers=headers)
        assert r.status_code == 200, r.text
        assert (r.json()["applied"], r.json()["exceptions"]) == (2, [])
        again = await gw.post(f"/insurance/lists/{lst['id']}/results/file", content=as_csv(filled), headers=headers)
        assert again.headers["idempotent-replayed"] == "true"

        async def delivered() -> list | None:  # type: ignore[type-arg]
            await asyncio.sleep(0)
            issued = [Webhook(secret).verify(body, h) for h, body in received]
            codes = sorted(e["data"]["code"] for e in issued if e["type"] == "insurance.card.issued.v1")
            return issued if len(codes) == 2 else None

        issued = await eventually(delivered, "the card events at BHXH's webhook", within=60)
        assert sorted(e["data"]["code"] for e in issued) == ["BT2860000004402", "TE1860000004401"]
        assert all("national_id" not in e["data"] for e in issued)

        r = await gw.get(
            "/insurance/coverage",
            params={"national_id": elder_nid, "on": "2026-12-15"},
            headers={**hospital, "X-Purpose": "kham benh"},
        )
        assert r.status_code == 200, r.text
        assert (r.json()["covered"], r.json()["group"], r.json()["benefit_level"]) == (True, "BT", 2)

        # The child registered a second time (another record, no national ID): insurance decides it TE too, until an
        # officer merges the two records; then it is one person with one card, the child's.
        r = await gw.post(
            "/registry/persons",
            headers=officer,
            json={"full_name": "Thạch Thị Sa", "date_of_birth": "2026-09-01", "sex": "female", "commune_code": COMMUNE},
        )
        assert r.status_code == 201, r.text
        twin = r.json()["id"]

        async def entitled(person: str, expected: bool) -> bool | None:
            r = await gw.get(f"/insurance/persons/{person}/cards", headers=officer)
            return True if r.status_code == 200 and bool(r.json()["entitlements"]) == expected else None

        await eventually(lambda: entitled(twin, True), "insurance deciding the second record", within=60)
        found = (await gw.get("/registry/persons/possible-duplicates", headers=officer)).json()["items"]
        [pair] = [p for p in found if {x["id"] for x in p["persons"]} == {child, twin}]
        r = await gw.post(
            f"/registry/persons/possible-duplicates/{pair['id']}/merge",
            headers=officer,
            json={"survivor_id": child, "reason": "Cùng một trẻ: đăng ký hai lần"},
        )
        assert r.status_code == 200, r.text
        await eventually(lambda: entitled(twin, False), "insurance applying the merge", within=60)
        cards = (await gw.get(f"/insurance/persons/{child}/cards", headers=officer)).json()
        assert [(c["code"], c["ended_on"]) for c in cards["cards"]] == [("TE1860000004401", None)]
