"""Donations to a facility (cash and in kind, raised for one resident) and the facilities' yearly report."""

from __future__ import annotations

from datetime import date

from .test_beneficiaries import CHECKER, MAKER, h
from .test_residential import facility, person


async def give(http, minter, facility_id, who=MAKER, **body):
    base = {
        "donor": "Công ty TNHH Mekong Xanh",
        "received_on": "2026-03-08",
        "form": "cash",
        "value": 10_000_000,
        "description": "Tiền mặt ủng hộ Tết",
    }
    return await http.post(f"/facilities/{facility_id}/donations", json={**base, **body}, headers=h(minter, who))


async def admit(http, minter, facility_id, person_id, on, category):
    r = await http.post(
        f"/facilities/{facility_id}/residents",
        headers=h(minter, MAKER),
        json={"person_id": person_id, "admitted_on": on, "category": category},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_donations_and_the_year_end_report(http, minter):
    centre = await facility(http, minter)
    child = await person(http, minter, "Trần Bé Na", date(2018, 6, 1))
    old = await person(http, minter, "Lê Văn Bảy", date(1940, 1, 1), sex="male")
    gone = await person(http, minter, "Võ Thị Tám", date(1950, 1, 1))
    await admit(http, minter, centre, child, "2025-01-10", "orphan")
    await admit(http, minter, centre, old, "2025-05-01", "elderly")
    stay = await admit(http, minter, centre, gone, "2025-05-01", "elderly")
    r = await http.post(
        f"/residencies/{stay['id']}/discharge", json={"discharged_on": "2026-06-30"}, headers=h(minter, MAKER)
    )
    assert r.status_code == 200, r.text

    first = await give(http, minter, centre)
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"/registry/facilities/{centre}/donations/{first.json()['id']}"
    assert (
        await give(
            http, minter, centre, form="in_kind", value=4_500_000, donor="Chùa Phước Hòa", description="300 kg gạo"
        )
    ).status_code == 201
    for donor, value in (("Báo Tuổi Trẻ", 1_800_000_000), ("Nhóm thiện nguyện Trà Vinh", 1_150_000_000)):
        r = await give(
            http,
            minter,
            centre,
            donor=donor,
            value=value,
            for_person_id=child,
            description="Điều trị bệnh tim cho cháu Na",
            received_on="2026-04-02",
        )
        assert r.status_code == 201, r.text
    # Refused: a person not resident that day, a day to come, a facility outside the areas, a zero value.
    r = await give(http, minter, centre, for_person_id=gone, received_on="2026-07-01")
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.for_person_id")
    assert (await give(http, minter, centre, received_on="2999-01-01")).status_code == 422
    assert (await give(http, minter, centre, value=0)).status_code == 422
    assert (await give(http, minter, centre, who={"client_id": "x", "areas": ("992",)})).status_code == 404
    assert (await give(http, minter, centre, received_on="2025-12-31", value=7_000_000)).status_code == 201

    r = await http.get("/reports/facilities", params={"year": 2026}, headers=h(minter, CHECKER))
    assert r.status_code == 200, r.text
    [row] = [f for f in r.json()["facilities"] if f["facility_id"] == centre]
    assert (row["donations"], row["donors"], row["cash"], row["in_kind"], row["total"]) == (
        4,
        4,
        2_960_000_000,
        4_500_000,
        2_964_500_000,
    )
    assert row["raised_for"] == [{"person_id": child, "full_name": "Trần Bé Na", "value": 2_950_000_000}]
    assert row["residents"] == 2 and row["residents_by_category"]["elderly"] == 1
    last_year = [
        f
        for f in (await http.get("/reports/facilities", params={"year": 2025}, headers=h(minter, CHECKER))).json()[
            "facilities"
        ]
        if f["facility_id"] == centre
    ][0]
    assert (last_year["residents_by_category"]["elderly"], last_year["cash"], last_year["raised_for"]) == (
        2,
        7_000_000,
        [],
    )
    page = (
        await http.get(f"/facilities/{centre}/donations", params={"year": 2026, "limit": 3}, headers=h(minter, CHECKER))
    ).json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    rest = (
        await http.get(
            f"/facilities/{centre}/donations",
            params={"year": 2026, "cursor": page["next_cursor"]},
            headers=h(minter, CHECKER),
        )
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
