"""Payments' three-unpaid-months event suspends an active beneficiary (rules.md §9), once, through the inbox."""

from __future__ import annotations

import uuid

from common.events.envelope import Event, new_event
from services.registry.beneficiaries.service import UNPAID_3_MONTHS_REASON
from services.registry.consumers import PAYMENTS_UNPAID_3_MONTHS
from services.registry.events import EVENTS

from .test_beneficiaries import CHECKER, approved, h
from .test_death import outbox


def unpaid_3_months(beneficiary: dict, suspend_from: str = "2026-04") -> Event:
    data = {
        "beneficiary_id": beneficiary["id"],
        "person_id": beneficiary["person_id"],
        "programme": "monthly_allowance",
        "periods": ["2026-01", "2026-02", "2026-03"],
        "suspend_from": suspend_from,
        "amount_not_received": 4_500_000,
        "commune_code": "99102",
        "district_code": "",
        "province_code": "99",
    }
    return Event.model_validate(
        {**new_event("/ansinh/payments", PAYMENTS_UNPAID_3_MONTHS, beneficiary["id"], data), "sequence": 1}
    )


async def deliver(app, event: Event) -> bool:
    async with app.state.sessionmaker() as session:
        applied = await EVENTS.inbox.apply(session, event)
        await session.commit()
    return applied


async def test_three_unpaid_months_suspend_an_active_beneficiary_once(app, http, minter):
    beneficiary = await approved(http, minter)
    event = unpaid_3_months(beneficiary)
    assert await deliver(app, event) is True
    assert await deliver(app, event) is False  # redelivered: applied once
    r = await http.get(f"/beneficiaries/{beneficiary['id']}", headers=h(minter, CHECKER))
    assert r.json()["status"] == "suspended"
    decision = r.json()["decisions"][-1]
    assert (decision["kind"], decision["effective_month"], decision["reason"], decision["decided_by"]) == (
        "suspend",
        "2026-04",
        UNPAID_3_MONTHS_REASON,
        "payments",
    )
    events = [e["type"] for e in await outbox(app, beneficiary["id"])]
    assert "registry.beneficiary.suspended.v1" in events
    schedule = [
        e for e in await outbox(app, beneficiary["id"]) if e["type"] == "registry.beneficiary.entitlements_changed.v1"
    ][-1]["data"]
    assert all(p["to"] is not None and p["to"] < "2026-04" for p in schedule["periods"])
    # Another run of three months while suspended changes nothing.
    assert await deliver(app, unpaid_3_months(beneficiary, "2026-07")) is True
    r = await http.get(f"/beneficiaries/{beneficiary['id']}", headers=h(minter, CHECKER))
    assert [d["kind"] for d in r.json()["decisions"]].count("suspend") == 1


async def test_an_unknown_beneficiary_is_ignored(app, http, minter):
    ghost = {"id": str(uuid.uuid4()), "person_id": str(uuid.uuid4())}
    assert await deliver(app, unpaid_3_months(ghost)) is True
