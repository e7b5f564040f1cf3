"""Residential care: facilities, admission and discharge, and the Art 25 coefficient in the entitlements."""

from __future__ import annotations

from datetime import date

from .test_beneficiaries import CHECKER, MAKER, approved, by_month, elderly, h
from .test_persons import national_id


async def facility(http, minter, capacity=116) -> str:
    r = await http.post(
        "/facilities",
        json={"name": "Trung tâm Bảo trợ xã hội", "commune_code": "99101", "capacity": capacity},
        headers=h(minter, MAKER),
    )
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/registry/facilities/{r.json()['id']}"
    return r.json()["id"]


async def person(http, minter, name: str, dob: date, sex: str = "female") -> str:
    body = {
        "full_name": name,
        "date_of_birth": dob.isoformat(),
        "sex": sex,
        "national_id": national_id(dob, sex),
        "commune_code": "99101",
    }
    r = await http.post("/persons", json=body, headers=h(minter, MAKER))
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_admit_list_and_discharge(http, minter):
    facility_id = await facility(http, minter)
    first = await elderly(http, minter)
    second = await person(http, minter, "Lê Thị Tư", date(1950, 3, 2))
    r = await http.post(
        f"/facilities/{facility_id}/residents",
        headers=h(minter, MAKER),
        json={"person_id": first, "admitted_on": "2024-08-15", "category": "elderly"},
    )
    assert r.status_code == 201, r.text
    residency = r.json()
    assert residency["discharged_on"] is None and residency["full_name"] == "Trần Văn Ba"
    r = await http.post(
        f"/facilities/{facility_id}/residents",
        headers=h(minter, MAKER),
        json={"person_id": second, "admitted_on": "2024-09-01", "category": "severe_mental_illness"},
    )
    assert r.status_code == 201, r.text

    r = await http.get(f"/facilities/{facility_id}", headers=h(minter, CHECKER))
    assert r.status_code == 200
    assert r.json()["residents"] == 2
    assert r.json()["residents_by_category"] == {
        "elderly": 1,
        "severe_mental_illness": 1,
        "orphan": 0,
        "disability": 0,
        "other": 0,
    }

    r = await http.get(f"/facilities/{facility_id}/residents", params={"limit": 1}, headers=h(minter, CHECKER))
    page = r.json()
    assert [i["person_id"] for i in page["items"]] == [first] and page["next_cursor"]
    r = await http.get(
        f"/facilities/{facility_id}/residents",
        params={"limit": 1, "cursor": page["next_cursor"]},
        headers=h(minter, CHECKER),
    )
    assert [i["person_id"] for i in r.json()["items"]] == [second] and r.json()["next_cursor"] is None
    r = await http.get(
        f"/facilities/{facility_id}/residents", params={"cursor": "nonsense"}, headers=h(minter, CHECKER)
    )
    assert r.status_code == 422

    r = await http.post(
        f"/residencies/{residency['id']}/discharge", json={"discharged_on": "2024-08-01"}, headers=h(minter, MAKER)
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.discharged_on"
    r = await http.post(
        f"/residencies/{residency['id']}/discharge", json={"discharged_on": "2025-03-10"}, headers=h(minter, MAKER)
    )
    assert r.status_code == 200, r.text
    assert r.json()["discharged_on"] == "2025-03-10"
    r = await http.post(
        f"/residencies/{residency['id']}/discharge", json={"discharged_on": "2025-03-10"}, headers=h(minter, MAKER)
    )
    assert r.status_code == 409
    r = await http.get(f"/facilities/{facility_id}/residents", headers=h(minter, CHECKER))
    assert [i["person_id"] for i in r.json()["items"]] == [second]


async def test_double_admission_is_409_and_capacity_is_422(http, minter):
    small = await facility(http, minter, capacity=1)
    other = await facility(http, minter)
    first = await elderly(http, minter)
    second = await person(http, minter, "Lê Thị Tư", date(1950, 3, 2))
    admission = {"person_id": first, "admitted_on": "2024-08-15", "category": "elderly"}
    r = await http.post(f"/facilities/{small}/residents", json=admission, headers=h(minter, MAKER))
    assert r.status_code == 201, r.text
    residency_id = r.json()["id"]
    r = await http.post(f"/facilities/{other}/residents", json=admission, headers=h(minter, MAKER))
    assert r.status_code == 409 and r.json()["residency"] == f"/registry/residencies/{residency_id}"
    r = await http.post(
        f"/facilities/{small}/residents",
        headers=h(minter, MAKER),
        json={"person_id": second, "admitted_on": "2024-08-15", "category": "elderly"},
    )
    assert r.status_code == 422 and "full" in r.json()["errors"][0]["reason"]


async def test_facility_outside_areas_is_404(http, minter):
    facility_id = await facility(http, minter)
    r = await http.get(f"/facilities/{facility_id}", headers=minter.headers("registry:read", areas=("992",)))
    assert r.status_code == 404


async def test_residence_months_get_the_art25_coefficient(http, minter):
    beneficiary = await approved(http, minter)
    facility_id = await facility(http, minter)
    r = await http.post(
        f"/facilities/{facility_id}/residents",
        headers=h(minter, MAKER),
        json={"person_id": beneficiary["person_id"], "admitted_on": "2024-08-15", "category": "elderly"},
    )
    assert r.status_code == 201, r.text
    r = await http.post(
        f"/residencies/{r.json()['id']}/discharge", json={"discharged_on": "2025-03-10"}, headers=h(minter, MAKER)
    )
    assert r.status_code == 200, r.text

    r = await http.get(
        f"/beneficiaries/{beneficiary['id']}/entitlements",
        params={"from": "2024-07", "to": "2025-04"},
        headers=minter.headers("registry:read", **CHECKER),
    )
    assert r.status_code == 200, r.text
    months = by_month(r.json())
    regular = ("5.5a", "2.0", 500_000, 1_000_000)
    residential = ("art25", "4.0", 500_000, 2_000_000)
    expected = {
        "2024-07": regular,
        "2024-08": residential,
        "2025-02": residential,
        "2025-03": regular,
        "2025-04": regular,
    }
    for month, line in expected.items():
        m = months[month]
        assert (m["category"], m["coefficient"], m["standard_level"], m["amount"]) == line, month
