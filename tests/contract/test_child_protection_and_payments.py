"""Child protection ⇄ payments: each consumer decodes the producer's real payloads.

A support item approved in a case becomes exactly one one-off payment (however often the event comes), and the
post office's result on its line comes back into the case."""

import uuid
from datetime import date

from sqlalchemy import func, select, text

from common.events.envelope import Event, new_event
from common.testing import app_client
from services.child_protection.events import EVENTS as CP_EVENTS
from services.payments.app import create_app as create_payments
from services.payments.events import EVENTS as PAY_EVENTS
from services.payments.events import LINE_PAID, LINE_UNPAID, LinePaid, LineUnpaid
from services.payments.models import OneOffPayment
from services.payments.settings import PaymentsSettings

from ..services.child_protection.conftest import COMMUNE, new_case, worker


async def approved_case(http, minter):
    case = (await http.post("/cases", json=new_case(), headers=worker(minter))).json()
    for action, extra, who in [
        ("initial_assessment", {"risk_level": "medium"}, "officer-a"),
        ("detailed_assessment", {}, "officer-a"),
        (
            "draft_plan",
            {
                "plan": {
                    "content": "school support",
                    "services": ["education"],
                    "support": [
                        {
                            "kind": "scholarship",
                            "funding": "charity",
                            "sponsor": "Quỹ Bảo trợ trẻ em",
                            "amount": 750_000,
                        }
                    ],
                }
            },
            "officer-a",
        ),
        ("approve_plan", {}, "chairman-b"),
    ]:
        r = await http.post(
            f"/cases/{case['id']}/steps",
            json={"action": action, **extra},
            headers={**worker(minter, client_id=who), "If-Match": f'"{case["version"]}"'},
        )
        assert r.status_code == 200, r.text
        case = r.json()
    return case


def line(programme, item_id, **kw):
    common = dict(
        line_id=uuid.uuid4(),
        batch_id=uuid.uuid4(),
        payroll_id=uuid.uuid4(),
        programme=programme,
        period="2026-12",
        recipient_id=item_id,
        beneficiary_id=None,
        person_id=None,
        line_total=750_000,
        commune_code=COMMUNE,
        district_code="",
        province_code="86",
        one_off_payment_id=item_id,
    )
    return {**common, **kw}


async def test_support_request_pays_once_and_the_outcome_comes_back(http, app, minter, now, test_db):
    case = await approved_case(http, minter)
    [item] = case["support"]
    assert item["status"] == "requested"
    async with app.state.sessionmaker() as session:
        envelopes = (
            (
                await session.execute(
                    text("SELECT envelope FROM child_protection.outbox WHERE type = :t"),
                    {"t": "child_protection.support.payment_requested.v1"},
                )
            )
            .scalars()
            .all()
        )
    [envelope] = envelopes
    assert envelope["data"]["amount"] == 750_000 and "Nguy" not in str(envelope)

    payments = create_payments(PaymentsSettings(database_url=test_db.urls["payments"]))
    async with app_client(payments, keys=minter):
        async with payments.state.sessionmaker() as session:
            event = Event.model_validate(envelope)
            assert await PAY_EVENTS.inbox.apply(session, event)
            assert not await PAY_EVENTS.inbox.apply(session, event)  # the same event again
            again = Event.model_validate({**envelope, "id": str(uuid.uuid4())})  # republished under a new id
            assert await PAY_EVENTS.inbox.apply(session, again)
            rows = (
                (await session.execute(select(OneOffPayment).where(OneOffPayment.id == uuid.UUID(item["id"]))))
                .scalars()
                .all()
            )
            count = await session.scalar(select(func.count()).select_from(OneOffPayment))
            assert len(rows) == 1 and count == 1
            assert rows[0].programme == "service_request" and rows[0].amount == 750_000
            assert case["number"] in rows[0].recipient_name and rows[0].commune_code == COMMUNE

    item_id = uuid.UUID(item["id"])
    unpaid = new_event(
        "/ansinh/payments",
        LINE_UNPAID,
        "x",
        LineUnpaid(**line("service_request", item_id), outcome="unpaid", reason="carer away"),
    )
    paid = new_event(
        "/ansinh/payments",
        LINE_PAID,
        "x",
        LinePaid(
            **line("service_request", item_id, one_off_payment_id=None),
            paid_on=date(2026, 12, 10),
            paid_to="proxy",
            proxy_name="x",
            receipt_number="R-1",
            amount=750_000,
        ),
    )
    other = new_event(
        "/ansinh/payments",
        LINE_PAID,
        "y",
        LinePaid(
            **line("funeral", uuid.uuid4()),
            paid_on=date(2026, 12, 10),
            paid_to="beneficiary",
            proxy_name=None,
            receipt_number="R-2",
            amount=1,
        ),
    )
    async with app.state.sessionmaker() as session:
        for envelope in (unpaid, paid, other):
            assert await CP_EVENTS.inbox.apply(session, Event.model_validate({**envelope, "sequence": 1}))
        await session.commit()
    read = (await http.get(f"/cases/{case['id']}", headers=worker(minter))).json()
    [after] = read["support"]
    assert after["status"] == "paid" and after["outcome_on"] == "2026-12-10"
    assert read["version"] == case["version"] + 2  # each outcome changed the case (devices see it)
    returned = new_event(
        "/ansinh/payments",
        LINE_UNPAID,
        "x",
        LineUnpaid(**line("service_request", item_id), outcome="returned", reason="late report"),
    )
    async with app.state.sessionmaker() as session:
        await CP_EVENTS.inbox.apply(session, Event.model_validate({**returned, "sequence": 1}))
        await session.commit()
    assert (await http.get(f"/cases/{case['id']}", headers=worker(minter))).json()["support"][0]["status"] == "paid"


async def test_no_money_without_an_approved_plan(http, app, minter, now):
    case = (await http.post("/cases", json=new_case(), headers=worker(minter))).json()
    for action, extra in [
        ("initial_assessment", {"risk_level": "low"}),
        ("detailed_assessment", {}),
        (
            "draft_plan",
            {
                "plan": {
                    "content": "gift",
                    "services": ["other"],
                    "support": [{"kind": "gift", "funding": "provincial", "sponsor": "UBND tỉnh", "amount": 500_000}],
                }
            },
        ),
        ("reject_plan", {}),
    ]:
        r = await http.post(
            f"/cases/{case['id']}/steps",
            json={"action": action, **extra},
            headers={
                **worker(minter, client_id="chairman-b" if action == "reject_plan" else "o"),
                "If-Match": f'"{case["version"]}"',
            },
        )
        assert r.status_code == 200, r.text
        case = r.json()
    assert case["support"][0]["status"] == "cancelled" and case["status"] == "assessed"
    async with app.state.sessionmaker() as session:
        n = await session.scalar(
            text(
                "SELECT count(*) FROM child_protection.outbox WHERE type = "
                "'child_protection.support.payment_requested.v1'"
            )
        )
    assert n == 0
