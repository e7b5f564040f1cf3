"""Registry events as payments receives them, and the officers who run payrolls."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from common import clock
from common.events.envelope import Event, new_event
from services.payments.consumers import ENTITLEMENTS_CHANGED, POVERTY_STATUS_CHANGED
from services.payments.events import EVENTS

REGISTRY = "/ansinh/registry"
MAKER = "officer-maker"
CHECKER = "officer-checker"
_sequence = itertools.count(1)


def period(
    first: str,
    last: str | None,
    amount: int,
    category: str = "5.5a",
    coefficient: str = "1.5",
    standard_level: int = 500_000,
) -> dict[str, Any]:
    return {
        "from": first,
        "to": last,
        "amount": amount,
        "category": category,
        "coefficient": coefficient,
        "standard_level": standard_level,
        "categories": [category],
    }


def schedule(
    beneficiary_id: uuid.UUID,
    version: int,
    periods: list[dict[str, Any]],
    *,
    computed_from: str = "2024-07",
    computed_to: str = "2027-12",
    status: str = "active",
    death_date: str | None = None,
    name: str = "Nguyễn Thị Lan",
    commune: str = "84101",
    district: str = "842",
    province: str = "84",
    household_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
) -> Event:
    """``registry.beneficiary.entitlements_changed.v1`` as the hub delivers it."""
    data = {
        "beneficiary_id": str(beneficiary_id),
        "person_id": str(person_id or beneficiary_id),
        "version": version,
        "status": status,
        "full_name": name,
        "national_id": None,
        "date_of_birth": "1950-03-02",
        "sex": "female",
        "death_date": death_date,
        "commune_code": commune,
        "district_code": district,
        "province_code": province,
        "household_id": str(household_id) if household_id else None,
        "computed_from": computed_from,
        "computed_to": computed_to,
        "periods": periods,
    }
    return Event.model_validate(
        {**new_event(REGISTRY, ENTITLEMENTS_CHANGED, str(beneficiary_id), data), "sequence": next(_sequence)}
    )


def poverty(household_id: uuid.UUID, status: str, valid_from: str, *, commune: str = "84101") -> Event:
    data = {
        "household_id": str(household_id),
        "status": status,
        "valid_from": valid_from,
        "document": "QĐ 12/QĐ-UBND",
        "commune_code": commune,
        "district_code": "842",
        "province_code": "84",
    }
    return Event.model_validate(
        {**new_event(REGISTRY, POVERTY_STATUS_CHANGED, str(household_id), data), "sequence": next(_sequence)}
    )


async def feed(app: Any, *events: Event) -> list[bool]:
    """Deliver events to the payments inbox (in the test's transaction)."""
    async with app.state.sessionmaker() as session:
        applied = [await EVENTS.inbox.apply(session, e) for e in events]
        await session.commit()
    return applied


def maker(minter: Any, **kw: Any) -> dict[str, str]:
    return minter.headers("payments:read", "payments:write", **{"client_id": MAKER, **kw})


def checker(minter: Any, **kw: Any) -> dict[str, str]:
    return minter.headers("payments:read", "payments:approve", **{"client_id": CHECKER, **kw})


async def generate(http: Any, minter: Any, programme: str, period_: str) -> dict[str, Any]:
    r = await http.post("/payrolls", json={"programme": programme, "period": period_}, headers=maker(minter))
    assert r.status_code == 201, r.text
    return r.json()


async def approve(http: Any, minter: Any, payroll: dict[str, Any]) -> dict[str, Any]:
    r = await http.post(f"/payrolls/{payroll['id']}/review", headers=maker(minter))
    assert r.status_code == 200, r.text
    r = await http.post(f"/payrolls/{payroll['id']}/approve", headers=checker(minter))
    assert r.status_code == 200, r.text
    return r.json()


async def run(http: Any, minter: Any, programme: str, period_: str) -> dict[str, Any]:
    """Generate, review and approve a payroll."""
    return await approve(http, minter, await generate(http, minter, programme, period_))


async def lines(http: Any, minter: Any, payroll: dict[str, Any], **kw: Any) -> list[dict[str, Any]]:
    out, cursor = [], None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        r = await http.get(f"/payrolls/{payroll['id']}/lines", params=params, headers=maker(minter, **kw))
        assert r.status_code == 200, r.text
        out += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return out


async def line_of(http: Any, minter: Any, payroll: dict[str, Any], recipient: uuid.UUID) -> dict[str, Any] | None:
    found = [x for x in await lines(http, minter, payroll) if x["recipient_id"] == str(recipient)]
    return found[0] if found else None


async def account_from(http: Any, minter: Any, programme: str, month: str) -> None:
    r = await http.post(
        f"/programmes/{programme}/accounting-from",
        json={"accounting_from": month, "legal_basis": "Kế hoạch triển khai hệ thống"},
        headers=minter.headers("admin"),
    )
    assert r.status_code == 200, r.text


POSTAL = "vnpost-partner"


def partner(minter: Any, areas: tuple[str, ...] = (), **kw: Any) -> dict[str, str]:
    """The payment organisation (the post office), limited to ``areas``."""
    return minter.headers("payments:disburse", **{"client_id": POSTAL, "areas": areas, **kw})


async def batches(http: Any, minter: Any, payroll: dict[str, Any], **kw: Any) -> dict[str, dict[str, Any]]:
    """The payroll's batches visible to the partner, by commune."""
    r = await http.get("/batches", params={"payroll": payroll["id"], "limit": 100}, headers=partner(minter, **kw))
    assert r.status_code == 200, r.text
    return {b["commune_code"]: b for b in r.json()["items"]}


def paid(line: dict[str, Any], amount: int | None = None, **kw: Any) -> dict[str, Any]:
    return {
        "line_id": line["id"],
        "outcome": "paid",
        "paid_on": clock.today().isoformat(),
        "paid_to": "beneficiary",
        "receipt_number": f"BN-{line['id'][:8]}",
        "amount": line["total"] if amount is None else amount,
        **kw,
    }


def unpaid(line: dict[str, Any], reason: str = "Vắng nhà, không liên lạc được") -> dict[str, Any]:
    return {"line_id": line["id"], "outcome": "unpaid", "reason": reason}
