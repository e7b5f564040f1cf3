"""Insurance's entitlement decided from registry events (never re-typed): one card group per person and day."""

import uuid
from datetime import date

from sqlalchemy import text

from .helpers import approved, cards, died, feed, joined, left, poverty, registered, suspended, terminated


def spans(body):
    return [(e["group"], e["valid_from"], e["valid_to"]) for e in body["entitlements"]]


async def test_a_childs_te_runs_from_birth_registration_to_the_72_month_rule(app, http, minter):
    child = uuid.uuid4()
    await feed(app, registered(child, date(2024, 11, 5), on=date(2024, 11, 20)))
    body = await cards(http, minter, child)
    # Born after 30 September: the last day of the month the child reaches 72 months.
    assert spans(body) == [("TE", "2024-11-20", "2030-11-30")]


async def test_a_beneficiary_in_a_poor_household_gets_one_bt_card_never_two(app, http, minter):
    person, beneficiary, household = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        registered(person, date(1950, 1, 1), on=date(2020, 1, 1)),
        joined(household, person, date(2020, 1, 1)),
        poverty(household, "poor", date(2024, 1, 1)),
        approved(beneficiary, person, "2025-03"),
    )
    assert spans(await cards(http, minter, person)) == [("HN", "2024-01-01", "2025-02-28"), ("BT", "2025-03-01", None)]
    # Suspension keeps the status of beneficiary (and the card); termination falls back to the household's HN.
    await feed(app, suspended(beneficiary, person, "2025-06"), terminated(beneficiary, person, "2026-02"))
    assert spans(await cards(http, minter, person)) == [
        ("HN", "2024-01-01", "2025-02-28"),
        ("BT", "2025-03-01", "2026-01-31"),
        ("HN", "2026-02-01", None),
    ]
    # Leaving the household and the poverty status ending both end HN.
    await feed(app, left(household, person, date(2026, 5, 1)))
    assert spans(await cards(http, minter, person))[-1] == ("HN", "2026-02-01", "2026-04-30")


async def test_household_status_changes_move_every_member(app, http, minter):
    a, b, household = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        registered(a, date(1980, 1, 1), on=date(2020, 1, 1)),
        registered(b, date(1985, 1, 1), on=date(2020, 1, 1)),
        joined(household, a, date(2020, 1, 1)),
        joined(household, b, date(2020, 1, 1)),
        poverty(household, "near_poor", date(2025, 1, 1)),
    )
    await feed(app, poverty(household, "average_living_farming", date(2026, 1, 1)))
    for person in (a, b):
        assert spans(await cards(http, minter, person)) == [
            ("CN", "2025-01-01", "2025-12-31"),
            ("GB", "2026-01-01", None),
        ]


async def test_a_death_ends_every_ground_the_day_after(app, http, minter):
    person, beneficiary = uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        registered(person, date(1940, 5, 5), on=date(2019, 1, 1)),
        approved(beneficiary, person, "2024-07"),
        died(person, date(1940, 5, 5), date(2026, 3, 10), beneficiary),
    )
    assert spans(await cards(http, minter, person)) == [("BT", "2024-07-01", "2026-03-10")]


async def test_no_health_data_is_kept_and_redeliveries_apply_once(app, http, minter):
    person, beneficiary = uuid.uuid4(), uuid.uuid4()
    hiv = approved(beneficiary, person, "2025-01", categories=["5.8"])
    assert await feed(app, hiv, hiv) == [True, False]
    async with app.state.sessionmaker() as s:
        stored = await s.execute(text("SELECT * FROM insurance.beneficiary_steps WHERE person_id = :p"), {"p": person})
        rows = [dict(r._mapping) for r in stored]
    assert len(rows) == 1 and "5.8" not in str(rows)
    assert spans(await cards(http, minter, person)) == [("BT", "2025-01-01", None)]


async def test_reads_are_limited_to_the_clients_areas(app, http, minter):
    child = uuid.uuid4()
    await feed(app, registered(child, date(2024, 1, 5), on=date(2024, 1, 20)))
    assert (
        await http.get(f"/persons/{child}/cards", headers=minter.headers("insurance:read", areas=("844",)))
    ).status_code == 404
    assert (
        await http.get(f"/persons/{uuid.uuid4()}/cards", headers=minter.headers("insurance:read"))
    ).status_code == 404
    await cards(http, minter, child, areas=("842",))


async def test_the_daily_job_announces_expiring_cards_once_and_ends_expired_ones(app, http, minter):
    child = uuid.uuid4()
    await feed(app, registered(child, date(2020, 3, 5), on=date(2020, 3, 20)))
    async with app.state.sessionmaker() as s:
        await s.execute(
            text("""INSERT INTO insurance.cards (id, person_id, group_code, code, number, issuing_province,
            valid_from, valid_to, commune_code, district_code, province_code) VALUES (gen_random_uuid(), :p, 'TE',
            'TE1840000000055', '0000000055', '84', DATE '2020-03-20', DATE '2026-09-30', '84101', '842', '84')"""),
            {"p": child},
        )
        await s.commit()
    admin = minter.headers("admin")
    first = await http.post("/jobs/daily?on=2026-08-31", headers=admin)
    assert first.status_code == 200, first.text
    assert (first.json()["expiring"], first.json()["expired"]) == (1, 0)
    assert (await http.post("/jobs/daily?on=2026-08-31", headers=admin)).json()["expiring"] == 0
    done = (await http.post("/jobs/daily?on=2026-10-01", headers=admin)).json()
    assert done["expired"] == 1
    body = await cards(http, minter, child)
    assert [(c["ended_on"], c["end_reason"]) for c in body["cards"]] == [("2026-09-30", "expired")]
    assert [h["kind"] for h in body["history"]] == ["ended"]
    async with app.state.sessionmaker() as s:
        types = (
            (
                await s.execute(
                    text("SELECT type FROM insurance.outbox WHERE subject = :p ORDER BY id"), {"p": str(child)}
                )
            )
            .scalars()
            .all()
        )
    assert types == ["insurance.card.expiring.v1", "insurance.card.ended.v1"]
    assert (await http.post("/jobs/daily", headers=minter.headers("insurance:read"))).status_code == 403


async def test_a_card_starting_before_the_decided_entitlement_is_kept_and_ends_with_it(app, http, minter):
    """BHXH may date a child's card from birth while insurance decided TE from the birth registration."""
    person, beneficiary = uuid.uuid4(), uuid.uuid4()
    await feed(app, registered(person, date(1950, 1, 1), on=date(2020, 1, 1)), approved(beneficiary, person, "2025-03"))
    async with app.state.sessionmaker() as s:
        await s.execute(
            text("""INSERT INTO insurance.cards (id, person_id, group_code, code, number, issuing_province,
            valid_from, commune_code, district_code, province_code) VALUES (gen_random_uuid(), :p, 'BT',
            'BT2860000000066', '0000000066', '86', DATE '2025-02-20', '84101', '842', '84')"""),
            {"p": person},
        )
        await s.commit()
    await feed(app, suspended(beneficiary, person, "2025-06"))  # a new decision: the card is looked at again
    assert [c["ended_on"] for c in (await cards(http, minter, person))["cards"]] == [None]
    await feed(app, terminated(beneficiary, person, "2026-02"))
    body = await cards(http, minter, person)
    assert [(c["valid_to"], c["end_reason"]) for c in body["cards"]] == [("2026-01-31", "terminated")]


async def test_many_events_at_once_give_what_one_at_a_time_gives(app, http, minter):
    """``Inbox.apply_many`` (a consumer catching up): runs of one type go set-wise, a person twice in a run splits
    it, events of other types go one by one in order, an event id seen before (or twice in the call) is skipped."""
    from services.insurance.decisions import service as decisions
    from services.insurance.events import EVENTS

    from .helpers import registered as reg

    one, two, three, b1, b2, household = (uuid.uuid4() for _ in range(6))
    batch = [
        reg(one, date(2024, 11, 5), on=date(2024, 11, 20)),
        reg(two, date(1950, 1, 1), on=date(2020, 1, 1)),
        reg(three, date(1952, 1, 1), on=date(2020, 1, 1)),
        reg(one, date(2024, 11, 5), on=date(2024, 12, 1)),  # the same person again: a new run
        joined(household, three, date(2020, 1, 1)),
        poverty(household, "poor", date(2024, 1, 1)),
        approved(b1, two, "2025-03"),
        approved(b2, three, "2025-05"),
        terminated(b1, two, "2026-02"),
    ]
    batch.append(batch[1])  # the same event twice in one call
    async with app.state.sessionmaker() as session:
        assert await EVENTS.inbox.apply_many(session, batch) == len(batch) - 1
        assert await EVENTS.inbox.apply_many(session, batch[:3]) == 0  # delivered again: nothing new
        # Every person queued once, the termination's reason kept (a card paid for may end early only with it).
        reasons = dict((await session.execute(text("SELECT person_id, reason FROM insurance.pending_decisions"))).all())
        assert reasons == {one: "", two: "terminated", three: ""}
        await decisions.decide_all_pending(session)
        await session.commit()
    # As test_a_childs_te_runs_… and test_a_beneficiary_in_a_poor_household_… decide one event at a time.
    assert spans(await cards(http, minter, one)) == [("TE", "2024-11-20", "2030-11-30")]
    assert spans(await cards(http, minter, two)) == [("BT", "2025-03-01", "2026-01-31")]
    assert spans(await cards(http, minter, three)) == [("HN", "2024-01-01", "2025-04-30"), ("BT", "2025-05-01", None)]


async def test_members_joined_at_once_are_kept_as_one_at_a_time_and_a_merged_record_joins_as_its_survivor(app, http):
    """A households import announces every member: insurance applies a run of them in one statement, with what the
    one-at-a-time handler does — a record merged away joins as its survivor, and each person is queued once."""
    from services.insurance.events import EVENTS

    household, first, merged, survivor = (uuid.uuid4() for _ in range(4))
    async with app.state.sessionmaker() as session:
        await session.execute(
            text("INSERT INTO insurance.person_merges (person_id, survivor_id) VALUES (:m, :s)"),
            {"m": merged, "s": survivor},
        )
        batch = [registered(p, date(1960, 1, 1), on=date(2020, 1, 1)) for p in (first, survivor)] + [
            joined(household, first, date(2021, 3, 1)),
            joined(household, merged, date(2021, 4, 1)),
        ]
        assert await EVENTS.inbox.apply_many(session, batch) == len(batch)
        members = (
            await session.execute(
                text(
                    "SELECT person_id, joined_on FROM insurance.household_members WHERE household_id = :h "
                    "ORDER BY joined_on"
                ),
                {"h": household},
            )
        ).all()
        queued = set((await session.execute(text("SELECT person_id FROM insurance.pending_decisions"))).scalars().all())
    assert members == [(first, date(2021, 3, 1)), (survivor, date(2021, 4, 1))]
    assert {first, survivor} <= queued and merged not in queued
