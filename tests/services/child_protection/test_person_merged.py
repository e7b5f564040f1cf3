"""A merge of two registry records (``registry.person.merged.v1``): a child identified as the record merged away names
the survivor; a second child record of the same person is left for an officer, never overwritten."""

import uuid

from common.events.envelope import Event, new_event
from services.child_protection.events import EVENTS
from services.registry.events import PERSON_MERGED, PersonMerged

from .conftest import COMMUNE, worker


def merged(person: uuid.UUID, survivor: uuid.UUID) -> Event:
    data = PersonMerged(
        person_id=person, survivor_id=survivor, commune_code=COMMUNE, district_code="842", province_code="84"
    ).model_dump(mode="json")
    return Event.model_validate({**new_event("/ansinh/registry", PERSON_MERGED, str(person), data), "sequence": 1})


async def feed(app, *events: Event) -> list[bool]:
    async with app.state.sessionmaker() as session:
        applied = [await EVENTS.inbox.apply(session, e) for e in events]
        await session.commit()
    return applied


async def identified(http, minter, person: uuid.UUID) -> dict:
    child = (
        await http.post("/children", headers=worker(minter), json={"full_name": "Bé Tí", "commune_code": COMMUNE})
    ).json()
    r = await http.patch(
        f"/children/{child['id']}", headers={**worker(minter), "If-Match": '"1"'}, json={"person_id": str(person)}
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_child_of_a_merged_record_names_the_survivor(app, http, minter, now):
    duplicate, survivor = uuid.uuid4(), uuid.uuid4()
    child = await identified(http, minter, duplicate)
    event = merged(duplicate, survivor)
    assert await feed(app, event, event) == [True, False]
    got = await http.get(f"/children/{child['id']}", headers=worker(minter))
    assert (got.json()["person_id"], got.headers["etag"]) == (str(survivor), '"3"')


async def test_two_child_records_of_one_person_are_left_for_an_officer(app, http, minter, now):
    duplicate, survivor = uuid.uuid4(), uuid.uuid4()
    first, second = await identified(http, minter, duplicate), await identified(http, minter, survivor)
    assert await feed(app, merged(duplicate, survivor)) == [True]
    for child, person in ((first, duplicate), (second, survivor)):
        got = (await http.get(f"/children/{child['id']}", headers=worker(minter))).json()
        assert got["person_id"] == str(person)
