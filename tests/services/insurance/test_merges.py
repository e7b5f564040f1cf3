"""A merge of two registry records of one person (``registry.person.merged.v1``): one person in insurance's
projection, one card, every card's history kept, whatever order the events arrive in."""

import uuid
from datetime import date

from sqlalchemy import text

from common import clock
from services.registry import events as registry

from .helpers import AREAS, approved, cards, event, feed, registered
from .test_exchange import bhxh, build, person

BORN = date(2026, 1, 10)
PLACE = {"province_code": "99", "district_code": "991", "commune_code": "99101"}


def merged(person_id: uuid.UUID, survivor: uuid.UUID):
    return event(
        registry.PERSON_MERGED,
        person_id,
        registry.PersonMerged(person_id=person_id, survivor_id=survivor, beneficiary_id=None, **{**AREAS, **PLACE}),
    )


async def two_records(registry_http, exchange, minter):
    """One child registered twice (two records), both decided TE."""
    a = await person(registry_http, minter, "Nguyễn Thị Bé", "2026-01-10", "female", "084326000111")
    b = await person(registry_http, minter, "Nguyen Thi Be", "2026-01-10", "female", "084326000112")
    await feed(
        exchange.app,
        registered(a, BORN, on=date(2026, 2, 1), **PLACE),
        registered(b, BORN, on=date(2026, 3, 1), **PLACE),
    )
    return a, b


async def issue(exchange, minter, list_id, *pairs):
    r = await exchange.post(
        f"/lists/{list_id}/results",
        headers=bhxh(minter),
        json={
            "results": [
                {
                    "person_id": str(p),
                    "outcome": "issued",
                    "card_code": code,
                    "valid_from": start,
                    "valid_to": "2032-09-30",
                }
                for p, code, start in pairs
            ]
        },
    )
    assert r.status_code == 200, r.text
    return r.json()


async def entitled(exchange, *persons):
    async with exchange.app.state.sessionmaker() as s:
        rows = await s.execute(
            text("SELECT person_id, group_code FROM insurance.entitlements WHERE person_id = ANY(:ids)"),
            {"ids": list(persons)},
        )
        return sorted((str(p), g) for p, g in rows)


async def test_two_cards_of_one_child_become_one_and_bhxh_is_told_to_end_the_other(registry, exchange, minter):
    a, b = await two_records(registry, exchange, minter)
    with clock.frozen(date(2026, 7, 5)):
        lst = await build(exchange, minter, "2026-07")
    assert lst["counts"]["enrol"] == 2  # the duplicate is not known yet: two enrolments, two cards
    await issue(exchange, minter, lst["id"], (a, "TE1860000000111", "2026-02-01"), (b, "TE1860000000112", "2026-03-01"))

    with clock.frozen(date(2026, 8, 10)):
        merge = merged(b, a)
        assert await feed(exchange.app, merge) == [True]
        assert await feed(exchange.app, merge) == [False]  # delivered twice, applied once
        assert await feed(exchange.app, merged(b, a)) == [True]  # the same merge again (another event): no effect

    survivor = await cards(exchange, minter, a)
    assert [(c["code"], c["ended_on"]) for c in survivor["cards"]] == [("TE1860000000111", None)]
    gone = await cards(exchange, minter, b)
    assert [(c["code"], c["valid_to"], c["end_reason"]) for c in gone["cards"]] == [
        ("TE1860000000112", "2026-08-09", "merged")
    ]
    assert [h["kind"] for h in gone["history"]] == ["issued", "ended"]  # the history of the record stays
    assert await entitled(exchange, a, b) == [(str(a), "TE")]

    with clock.frozen(date(2026, 8, 20)):
        nxt = await build(exchange, minter, "2026-09")
    items = (await exchange.get(f"/lists/{nxt['id']}/items", headers=bhxh(minter))).json()["items"]
    assert [(i["person_id"], i["action"], i["current_card"]) for i in items] == [(str(b), "end", "TE1860000000112")]


async def test_a_card_of_the_record_merged_away_is_carried_to_a_survivor_without_one(registry, exchange, minter):
    a, b = await two_records(registry, exchange, minter)
    with clock.frozen(date(2026, 7, 5)):
        lst = await build(exchange, minter, "2026-07")
    await issue(exchange, minter, lst["id"], (b, "TE1860000000112", "2026-03-01"))  # only b's card came back
    with clock.frozen(date(2026, 8, 10)):
        await feed(exchange.app, merged(b, a))

    survivor = await cards(exchange, minter, a)
    assert [(c["code"], c["ended_on"]) for c in survivor["cards"]] == [("TE1860000000112", None)]
    assert [(h["kind"], h["code"]) for h in survivor["history"]] == [("carried", "TE1860000000112")]
    assert (await cards(exchange, minter, b))["cards"] == []
    items = (await exchange.get(f"/lists/{lst['id']}/items", headers=bhxh(minter))).json()["items"]
    # a's enrolment is withdrawn (a holds a card now); BHXH's late answer to it is kept aside, never a second card.
    assert {i["person_id"]: i["result"] for i in items} == {str(a): "withdrawn", str(b): "issued"}
    r = await issue(exchange, minter, lst["id"], (a, "TE1860000000111", "2026-02-01"))
    assert [e["kind"] for e in r["exceptions"]] == ["reported_twice"]
    assert [c["code"] for c in (await cards(exchange, minter, a))["cards"]] == ["TE1860000000112"]


async def test_a_pending_enrolment_of_the_record_merged_away_is_withdrawn(registry, exchange, minter):
    a, b = await two_records(registry, exchange, minter)
    with clock.frozen(date(2026, 7, 5)):
        lst = await build(exchange, minter, "2026-07")
        await feed(exchange.app, merged(b, a))
    items = (await exchange.get(f"/lists/{lst['id']}/items", headers=bhxh(minter))).json()["items"]
    assert {i["person_id"]: i["result"] for i in items} == {str(a): "pending", str(b): "withdrawn"}
    r = await issue(
        exchange, minter, lst["id"], (a, "TE1860000000111", "2026-02-01"), (b, "TE1860000000112", "2026-03-01")
    )
    assert r["applied"] == 1 and [(e["kind"], e["person_id"]) for e in r["exceptions"]] == [("reported_twice", str(b))]
    assert [c["code"] for c in (await cards(exchange, minter, a))["cards"]] == ["TE1860000000111"]
    assert (await cards(exchange, minter, b))["cards"] == []


async def test_a_merge_before_the_merged_records_own_events_still_ends_with_one_person(registry, exchange, minter):
    a = await person(registry, minter, "Trần Văn Ông", "1950-03-02", "male", "084050000222")
    b = uuid.uuid4()
    beneficiary = uuid.uuid4()
    await feed(exchange.app, registered(a, date(1950, 3, 2), on=date(2020, 1, 1), sex="male", **PLACE))
    # The merge is delivered first; the duplicate's registration and its beneficiary's approval come after it.
    await feed(
        exchange.app,
        merged(b, a),
        registered(b, date(1950, 3, 2), on=date(2021, 1, 1), sex="male", **PLACE),
        approved(beneficiary, b, "2026-03", born=date(1950, 3, 2)),
    )
    assert await entitled(exchange, a, b) == [(str(a), "BT")]
    with clock.frozen(date(2026, 7, 5)):
        lst = await build(exchange, minter, "2026-07")
    items = (await exchange.get(f"/lists/{lst['id']}/items", headers=bhxh(minter))).json()["items"]
    assert [(i["person_id"], i["action"], i["group"]) for i in items] == [(str(a), "enrol", "BT")]
