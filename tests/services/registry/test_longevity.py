"""The yearly list of persons reaching 90 and 100, alive on the gift date, within the client's areas."""

from __future__ import annotations

from datetime import date

from .test_beneficiaries import MAKER, h
from .test_persons import national_id, person

WIDE = {"client_id": "province-officer", "areas": ("991", "992")}


async def born(http, minter, dob: date, name: str, commune: str = "99101", sex: str = "female") -> str:
    r = await http.post(
        "/persons",
        json=person(
            full_name=name,
            date_of_birth=dob.isoformat(),
            sex=sex,
            national_id=national_id(dob, sex),
            commune_code=commune,
        ),
        headers=h(minter, WIDE),
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def listed(http, minter, who=MAKER, **params) -> dict:
    r = await http.get("/reports/longevity", params={"year": 2026, **params}, headers=h(minter, who))
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_list_has_who_turns_90_or_100_in_the_year_and_is_alive_on_the_gift_date(app, http, minter):
    ninety = await born(http, minter, date(1936, 12, 31), "Nguyễn Văn Chín Mươi", sex="male")
    hundred = await born(http, minter, date(1926, 1, 1), "Trần Thị Trăm Tuổi")
    await born(http, minter, date(1937, 1, 1), "Lê Văn Tám Chín")  # 89 in 2026
    await born(http, minter, date(1935, 12, 31), "Lê Thị Chín Mốt")  # 91 in 2026
    died = await born(http, minter, date(1936, 6, 1), "Phạm Văn Mất")
    elsewhere = await born(http, minter, date(1936, 2, 2), "Võ Thị Xa", commune="99201")
    r = await http.post(
        f"/persons/{died}/death", json={"death_date": "2026-04-30", "document": "TLKT 7/2026"}, headers=h(minter, WIDE)
    )
    assert r.status_code == 201, r.text

    mine = await listed(http, minter, gift_date="2026-05-01")
    assert [(i["person_id"], i["age"]) for i in mine["items"]] == [(hundred, 100), (ninety, 90)]
    assert (mine["alive_on"], mine["counts"]) == ("2026-05-01", {"90": 1, "100": 1})
    assert mine["items"][0]["full_name"] == "Trần Thị Trăm Tuổi"
    # Before the death the person is still listed; a client of both districts sees the other commune too.
    wide = await listed(http, minter, WIDE, gift_date="2026-04-30")
    assert {i["person_id"] for i in wide["items"]} == {ninety, hundred, elsewhere}
    wide = await listed(http, minter, WIDE, gift_date="2026-04-29")
    assert {i["person_id"] for i in wide["items"]} == {ninety, hundred, died, elsewhere}
    assert wide["counts"] == {"90": 3, "100": 1}
    # In 2036 the 90-year-olds of 2026 reach 100.
    later = await listed(http, minter, WIDE, year=2036, gift_date="2036-01-01")
    assert {(i["person_id"], i["age"]) for i in later["items"]} == {(ninety, 100), (elsewhere, 100)}


async def test_a_gift_date_outside_the_year_is_refused(app, http, minter):
    r = await http.get("/reports/longevity", params={"year": 2026, "gift_date": "2027-01-01"}, headers=h(minter, MAKER))
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "query.gift_date")
    r = await http.get("/reports/longevity", params={"year": 2026}, headers=minter.headers("payments:read"))
    assert r.status_code == 403
