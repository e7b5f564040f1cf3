"""HS and SV are recorded as data (no registry event says who studies): an officer records the span with the school's
confirmation; the decision weighs it against the registry's grounds (one card, the highest benefit)."""

import uuid
from datetime import date

from .helpers import cards, feed, joined, poverty, registered


def spans(body):
    """The entitlement after the child's TE (which ended at the 72-month rule in 2018)."""
    return [
        (e["group"], e["valid_from"], e["valid_to"])
        for e in body["entitlements"]
        if e["group"] != "TE" or e["valid_from"] >= "2024"
    ]


async def record(http, minter, person, scope="insurance:write", **body):
    return await http.post(
        f"/persons/{person}/recorded-groups",
        headers=minter.headers(scope),
        json={
            "group": "HS",
            "valid_from": "2026-09-05",
            "valid_to": "2027-05-31",
            "document": "Trường THCS Phường 1, xác nhận số 12/XN",
            **body,
        },
    )


async def test_a_pupil_recorded_as_data_gets_hs_until_a_higher_benefit_or_withdrawal(app, http, minter):
    pupil, household = uuid.uuid4(), uuid.uuid4()
    await feed(
        app, registered(pupil, date(2012, 3, 1), on=date(2012, 3, 20)), joined(household, pupil, date(2012, 3, 20))
    )
    body = await cards(http, minter, pupil)
    assert [e["group"] for e in body["entitlements"]] == ["TE"] and spans(body) == []  # TE ended in 2018
    r = await record(http, minter, pupil)
    assert r.status_code == 201, r.text
    recorded = r.json()
    assert (recorded["group"], recorded["valid_to"], recorded["withdrawn_at"]) == ("HS", "2027-05-31", None)
    await feed(app)  # the decision worker's step
    assert spans(await cards(http, minter, pupil)) == [("HS", "2026-09-05", "2027-05-31")]
    # The household becomes near-poor: CN (level 3) outranks HS (level 4) from that day: one card, never two.
    await feed(app, poverty(household, "near_poor", date(2027, 1, 1)))
    assert spans(await cards(http, minter, pupil)) == [("HS", "2026-09-05", "2026-12-31"), ("CN", "2027-01-01", None)]
    # The same record twice is a conflict; listing shows it; withdrawal keeps the row and removes the ground.
    assert (await record(http, minter, pupil)).status_code == 409
    listed = await http.get(f"/persons/{pupil}/recorded-groups", headers=minter.headers("insurance:read"))
    assert [i["id"] for i in listed.json()["items"]] == [recorded["id"]]
    w = await http.post(
        f"/persons/{pupil}/recorded-groups/{recorded['id']}/withdraw",
        headers=minter.headers("insurance:write"),
        json={"reason": "left school in August"},
    )
    assert w.status_code == 200 and w.json()["withdraw_reason"] == "left school in August"
    await feed(app)
    assert spans(await cards(http, minter, pupil)) == [("CN", "2027-01-01", None)]
    again = await http.post(
        f"/persons/{pupil}/recorded-groups/{recorded['id']}/withdraw",
        headers=minter.headers("insurance:write"),
        json={"reason": "twice"},
    )
    assert again.status_code == 409
    listed = await http.get(f"/persons/{pupil}/recorded-groups", headers=minter.headers("insurance:read"))
    assert listed.json()["items"][0]["withdrawn_at"] is not None
    # Recorded again after the withdrawal: a new row, HS again before CN.
    assert (await record(http, minter, pupil, group="SV", valid_from="2026-10-01", valid_to=None)).status_code == 201
    await feed(app)
    assert spans(await cards(http, minter, pupil)) == [("SV", "2026-10-01", "2026-12-31"), ("CN", "2027-01-01", None)]


async def test_only_recordable_groups_known_persons_and_the_clients_areas(app, http, minter):
    child = uuid.uuid4()
    await feed(app, registered(child, date(2024, 1, 1), on=date(2024, 1, 10)))
    r = await record(http, minter, child, group="TE")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.group", r.text
    r = await record(http, minter, child, valid_to="2026-01-01")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.valid_to", r.text
    r = await record(http, minter, child, document="")
    assert r.status_code == 422, r.text
    assert (await record(http, minter, uuid.uuid4())).status_code == 404
    outside = await http.post(
        f"/persons/{child}/recorded-groups",
        headers=minter.headers("insurance:write", areas=("844",)),
        json={"group": "HS", "valid_from": "2026-09-05", "document": "x"},
    )
    assert outside.status_code == 404
    assert (await record(http, minter, child, scope="insurance:read")).status_code == 403
    # A child under 6 with a recorded HS stays TE (level 1 outranks HS).
    assert (await record(http, minter, child)).status_code == 201
    await feed(app)
    assert spans(await cards(http, minter, child)) == [("TE", "2024-01-10", "2030-09-30")]
