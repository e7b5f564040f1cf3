"""TE proposals from child protection: a child under 6 without a card reaches the officers' list of children to enrol
through the inbox (idempotent, no case fields kept), and the next period's list enrols it."""

import itertools
import uuid
from datetime import date

from sqlalchemy import text

from common.events.envelope import Event, new_event
from services.child_protection import events as cp

from .helpers import feed, registered
from .test_exchange import build, person

_seq = itertools.count(1)


def proposed(
    person_id: uuid.UUID, born: date, commune: str = "99101", district: str = "991", province: str = "99"
) -> Event:
    data = cp.InsuranceProposed(
        child_id=uuid.uuid4(),
        person_id=person_id,
        case_id=uuid.uuid4(),
        case_number="CP-000777",
        date_of_birth=born,
        commune_code=commune,
        district_code=district,
        province_code=province,
    )
    return Event.model_validate(
        {**new_event("/ansinh/child_protection", cp.INSURANCE_PROPOSED, str(person_id), data), "sequence": next(_seq)}
    )


async def proposals(http, minter, **kw):
    r = await http.get("/proposals", headers=minter.headers("insurance:read", **kw))
    assert r.status_code == 200, r.text
    return {i["person_id"]: i for i in r.json()["items"]}


async def test_a_proposed_child_is_listed_to_enrol_once_and_the_next_list_enrols_it(registry, exchange, minter):
    child = await person(registry, minter, "Lê Thị Nhỏ", "2024-05-10", "female", "084324000333")
    unknown = uuid.uuid4()  # identified in a case, but the registry's registration has not reached insurance
    event = proposed(child, date(2024, 5, 10))
    assert await feed(
        exchange.app, event, event, proposed(child, date(2024, 5, 10)), proposed(unknown, date(2025, 1, 2))
    ) == [True, False, True, True]
    found = await proposals(exchange, minter)
    assert found[str(child)]["status"] == "not_registered" and found[str(child)]["proposals"] == 2
    assert found[str(unknown)]["status"] == "not_registered"
    assert "CP-000777" not in str(found) and "case" not in str(found)
    async with exchange.app.state.sessionmaker() as s:
        columns = (
            await s.execute(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'insurance' AND table_name = 'te_proposals'"
                )
            )
        ).scalars()
        assert not {c for c in columns if "case" in c or "name" in c}

    # The registry's birth registration arrives: TE from it, the child is to enrol and the next list enrols it.
    await feed(
        exchange.app,
        registered(
            child, date(2024, 5, 10), on=date(2024, 6, 1), province_code="99", district_code="991", commune_code="99101"
        ),
    )
    assert (await proposals(exchange, minter))[str(child)]["status"] == "to_enrol"
    built = await build(exchange, minter, "2026-12")
    r = await exchange.get(
        f"/lists/{built['id']}/items", params={"action": "enrol"}, headers=minter.headers("insurance:exchange")
    )
    assert r.status_code == 200, r.text
    assert [(i["person_id"], i["group"]) for i in r.json()["items"]] == [(str(child), "TE")]
    assert (await proposals(exchange, minter))[str(child)]["status"] == "on_list"


async def test_the_list_keeps_to_the_token_s_areas_and_needs_insurance_read(app, http, minter):
    inside, outside = uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        proposed(inside, date(2023, 3, 3)),
        proposed(outside, date(2023, 3, 3), commune="84101", district="842", province="84"),
    )
    found = await proposals(http, minter, areas=("99",))
    assert set(found) == {str(inside)}
    r = await http.get("/proposals", headers=minter.headers("insurance:coverage"))
    assert r.status_code == 403
    r = await http.get("/proposals", params={"limit": 0}, headers=minter.headers("insurance:read"))
    assert r.status_code == 422 and "limit" in r.text


async def test_a_proposal_not_yet_decided_says_so(app, http, minter):
    child = uuid.uuid4()
    await feed(app, proposed(child, date(2024, 1, 1)), decide=False)
    assert (await proposals(http, minter))[str(child)]["status"] == "deciding"
