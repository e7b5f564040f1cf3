"""Payments' copy of registry beneficiaries and households, built from registry events."""

import uuid

from .helpers import feed, maker, period, schedule


async def read(http, minter, beneficiary_id, **kw):
    return await http.get(f"/beneficiaries/{beneficiary_id}", headers=maker(minter, **kw))


async def test_a_schedule_event_builds_the_beneficiary_and_its_periods(app, http, minter):
    b = uuid.uuid4()
    assert await feed(
        app,
        schedule(
            b, 1, [period("2024-07", "2026-06", 750_000), period("2026-07", None, 810_000, standard_level=540_000)]
        ),
    ) == [True]
    r = await read(http, minter, b)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["version"], body["status"], body["commune_code"]) == (1, "active", "84101")
    assert [(p["first"], p["last"], p["amount"]) for p in body["periods"]] == [
        ("2024-07", "2026-06", 750_000),
        ("2026-07", None, 810_000),
    ]
    assert body["periods"][0]["coefficient"] == "1.5"


async def test_only_a_newer_version_applies_and_out_of_order_deliveries_never_regress(app, http, minter):
    b = uuid.uuid4()
    v3 = schedule(b, 3, [period("2024-07", None, 1_000_000)], name="Trần Văn Ba")
    v2 = schedule(b, 2, [period("2024-07", None, 750_000)], name="Tran Van Ba (old)")
    await feed(app, v3, v2)
    body = (await read(http, minter, b)).json()
    assert (body["version"], body["full_name"]) == (3, "Trần Văn Ba")
    assert [p["amount"] for p in body["periods"]] == [1_000_000]
    # The same version again (another event id) changes nothing either.
    await feed(app, schedule(b, 3, [period("2024-07", None, 1)]))
    assert [p["amount"] for p in (await read(http, minter, b)).json()["periods"]] == [1_000_000]


async def test_a_redelivered_event_is_applied_once(app, http):
    event = schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)])
    assert await feed(app, event, event) == [True, False]


async def test_a_newer_version_replaces_months_from_computed_from_and_keeps_earlier_ones(app, http, minter):
    b = uuid.uuid4()
    await feed(app, schedule(b, 1, [period("2024-07", None, 750_000)]))
    # Death in January 2026: nothing is owed from February; the event describes months from 2026-01 on.
    await feed(
        app,
        schedule(
            b,
            2,
            [period("2025-07", "2026-01", 750_000)],
            computed_from="2026-01",
            status="deceased",
            death_date="2026-01-20",
        ),
    )
    body = (await read(http, minter, b)).json()
    assert (body["status"], body["death_date"]) == ("deceased", "2026-01-20")
    assert [(p["first"], p["last"]) for p in body["periods"]] == [("2024-07", "2025-12"), ("2026-01", "2026-01")]


async def test_reads_are_limited_to_the_clients_areas(app, http, minter):
    b = uuid.uuid4()
    await feed(app, schedule(b, 1, [period("2024-07", None, 750_000)], commune="84101", district="842"))
    assert (await read(http, minter, b, areas=("842",))).status_code == 200
    assert (await read(http, minter, b, areas=("844",))).status_code == 404
    assert (await read(http, minter, uuid.uuid4())).status_code == 404


async def test_a_person_merged_in_the_registry_re_keys_the_beneficiary_to_the_survivor(app, http, minter):
    """The registry's own payload (its catalogue model), as the hub delivers it to payments' inbox."""
    from common.events.envelope import Event, new_event
    from services.registry.events import PERSON_MERGED, PersonMerged

    b, merged, survivor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await feed(app, schedule(b, 1, [period("2024-07", None, 750_000)], person_id=merged))
    assert (await read(http, minter, b)).json()["person_id"] == str(merged)
    data = PersonMerged(
        person_id=merged,
        survivor_id=survivor,
        beneficiary_id=b,
        commune_code="84101",
        district_code="842",
        province_code="84",
    ).model_dump(mode="json")
    event = Event.model_validate({**new_event("/ansinh/registry", PERSON_MERGED, str(merged), data), "sequence": 2})
    assert await feed(app, event) == [True]
    body = (await read(http, minter, b)).json()
    assert body["person_id"] == str(survivor) and body["version"] == 1  # the schedule itself is unchanged


async def test_counts_by_status_within_the_clients_areas(app, http, minter):
    place = {"commune": "84997", "district": "849"}
    active = [schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)], **place) for _ in range(2)]
    dead = schedule(
        uuid.uuid4(), 2, [period("2024-07", "2026-01", 750_000)], status="deceased", death_date="2026-01-09", **place
    )
    elsewhere = schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)], commune="84996", district="848")
    await feed(app, *active, dead, elsewhere)
    r = await http.get("/beneficiaries/counts", headers=maker(minter, areas=("84997",)))
    assert r.status_code == 200, r.text
    assert r.json() == {"total": 3, "by_status": {"active": 2, "deceased": 1}}
    r = await http.get("/beneficiaries/counts", headers=minter.headers("payments:disburse", areas=("84997",)))
    assert r.status_code == 403
