"""A merge of two registry records of one person (``registry.person.merged.v1``) in payments: what is current follows
the survivor, what was paid stays as it was, and one person is never paid twice for a month or a gift."""

import uuid
from datetime import date

from common import clock
from common.events.envelope import Event, new_event
from services.registry.events import PERSON_MERGED, PersonMerged

from .helpers import account_from, feed, generate, lines, maker, run
from .test_artisans import ARTISANS, enrol, enrolment
from .test_longevity import gift, record


def merged(person: uuid.UUID, survivor: uuid.UUID) -> Event:
    data = PersonMerged(
        person_id=person, survivor_id=survivor, commune_code="29242", district_code="", province_code="86"
    ).model_dump(mode="json")
    return Event.model_validate({**new_event("/ansinh/registry", PERSON_MERGED, str(person), data), "sequence": 1})


async def test_an_artisan_enrolled_under_both_records_is_paid_once_from_the_merge_on(app, http, minter):
    await account_from(http, minter, ARTISANS, "2026-03")
    survivor, duplicate, alone, alone_survivor = (uuid.uuid4() for _ in range(4))
    await enrol(http, minter, enrolment(survivor))
    twice = await enrol(http, minter, enrolment(duplicate))
    moved = await enrol(http, minter, enrolment(alone))
    march = await run(http, minter, ARTISANS, "2026-03")
    assert march["totals"]["line_count"] == 3

    with clock.frozen(date(2026, 4, 10)):
        assert await feed(app, merged(duplicate, survivor), merged(alone, alone_survivor)) == [True, True]

    ended = (await http.get(f"/programmes/artisans/enrolments/{twice['id']}", headers=maker(minter))).json()
    assert (ended["person_id"], ended["to_month"]) == (str(duplicate), "2026-03")  # paid through March, as it was
    april = await generate(http, minter, ARTISANS, "2026-04")
    assert sorted(line["person_id"] for line in await lines(http, minter, april)) == sorted(
        [str(survivor), str(alone_survivor)]
    )
    assert (await http.get(f"/programmes/artisans/enrolments/{moved['id']}", headers=maker(minter))).json()[
        "person_id"
    ] == str(alone_survivor)
    # March's lines are history: they keep the record they were paid to.
    assert str(duplicate) in {line["person_id"] for line in await lines(http, minter, march)}


async def test_a_longevity_gift_listed_for_both_records_is_paid_once(app, http, minter):
    survivor, duplicate, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    kept = (await record(http, minter, gift("1936-07-01", person_id=str(survivor)))).json()
    assert (await record(http, minter, gift("1936-07-01", person_id=str(duplicate)))).status_code == 201
    only = (await record(http, minter, gift("1936-07-01", person_id=str(other)))).json()

    assert await feed(app, merged(duplicate, survivor), merged(other, survivor)) == [True, True]

    payroll = await generate(http, minter, "longevity", "2026-03")
    assert (payroll["totals"]["line_count"], payroll["totals"]["amount"]) == (1, 500_000)
    items = (await http.get("/longevity-gifts", params={"year": 2026}, headers=maker(minter))).json()["items"]
    assert [(g["id"], g["person_id"]) for g in items] == [(kept["id"], str(survivor))]
    assert (await http.get(f"/longevity-gifts/{only['id']}", headers=maker(minter))).status_code == 404
