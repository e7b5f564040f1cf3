"""Bulk entitlements (NDJSON stream) and the beneficiary search, on real PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import date

from sqlalchemy import event

from services.registry.models import Household, HouseholdMember, PovertyStatus

from .test_beneficiaries import APPROVAL, h
from .test_persons import national_id

READ_ALL = {"client_id": "payments", "areas": ("99",)}


async def beneficiary(http, minter, name, dob, commune="99101", who=None) -> dict:  # noqa: F811
    who = who or {"client_id": "commune-officer", "areas": ("99",)}
    body = {
        "full_name": name,
        "date_of_birth": dob.isoformat(),
        "sex": "male",
        "national_id": national_id(dob, "male"),
        "commune_code": commune,
    }
    r = await http.post("/persons", json=body, headers=h(minter, who))
    assert r.status_code == 201, r.text
    r = await http.post(
        "/applications", json={"person_id": r.json()["id"], "categories": ["5.5a"]}, headers=h(minter, who)
    )
    assert r.status_code == 201, r.text
    r = await http.post(
        f"/applications/{r.json()['id']}/approve",
        json=APPROVAL,
        headers=h(minter, {"client_id": "checker", "areas": ("99",)}),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def three(http, minter) -> list[dict]:  # noqa: F811
    a = await beneficiary(http, minter, "Trần Văn Ba", date(1944, 5, 10))
    b = await beneficiary(http, minter, "Nguyễn Văn Đức", date(1940, 2, 1), "99102")
    c = await beneficiary(http, minter, "Lê Văn Cường", date(1945, 3, 3), "99201")
    url = f"/beneficiaries/{b['id']}/decisions"
    checker = {"client_id": "checker", "areas": ("99",)}
    r = await http.post(
        url,
        json={"kind": "suspend", "effective_month": "2024-06", "reason": "không nhận"},
        headers={**h(minter, checker), "If-Match": '"1"'},
    )
    assert r.status_code == 201, r.text
    r = await http.post(
        url, json={"kind": "reinstate", "effective_month": "2024-07"}, headers={**h(minter, checker), "If-Match": '"2"'}
    )
    assert r.status_code == 201, r.text
    return [a, b, c]


def ndjson(r) -> list[dict]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in r.text.splitlines() if line]


async def test_bulk_lines_match_the_single_beneficiary_endpoint(app, http, minter):  # noqa: F811
    people = await three(http, minter)
    params = {"from": "2024-04", "to": "2024-08"}
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = app.state.sessionmaker.kw["bind"]
    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        lines = ndjson(
            await http.get(
                "/beneficiaries/entitlements", params=params, headers=minter.headers("registry:read", **READ_ALL)
            )
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 6, selects  # parameters (2), beneficiaries+persons (1), decisions (1), auth/etc.

    assert len(lines) == 3 * 5
    assert [line["beneficiary_id"] for line in lines] == sorted(line["beneficiary_id"] for line in lines)
    for person in people:
        r = await http.get(
            f"/beneficiaries/{person['id']}/entitlements",
            params=params,
            headers=minter.headers("registry:read", **READ_ALL),
        )
        single = {m["month"]: m for m in r.json()["months"]}
        mine = [line for line in lines if line["beneficiary_id"] == person["id"]]
        assert [line["month"] for line in mine] == ["2024-04", "2024-05", "2024-06", "2024-07", "2024-08"]
        for line in mine:
            m = single[line["month"]]
            assert (line["amount"], line["category"], line["coefficient"], line["standard_level"]) == (
                m["amount"],
                m["category"],
                m["coefficient"],
                m["standard_level"],
            )
            assert line["person_id"] == person["person_id"]
    suspended = {line["month"]: line for line in lines if line["beneficiary_id"] == people[1]["id"]}
    assert suspended["2024-06"]["amount"] == 0 and suspended["2024-06"]["reason"] == "suspended"
    assert suspended["2024-07"]["amount"] == 1_000_000 and suspended["2024-07"]["commune_code"] == "99102"


async def test_bulk_is_limited_to_areas_and_filters_and_24_months(http, minter):  # noqa: F811
    people = await three(http, minter)
    params = {"from": "2024-01", "to": "2024-02"}
    lines = ndjson(
        await http.get(
            "/beneficiaries/entitlements", params=params, headers=minter.headers("registry:read", areas=("991",))
        )
    )
    assert {line["beneficiary_id"] for line in lines} == {people[0]["id"], people[1]["id"]}
    lines = ndjson(
        await http.get(
            "/beneficiaries/entitlements",
            params={**params, "commune_code": "99102"},
            headers=minter.headers("registry:read", areas=("991",)),
        )
    )
    assert {line["beneficiary_id"] for line in lines} == {people[1]["id"]}
    lines = ndjson(
        await http.get(
            "/beneficiaries/entitlements",
            params={**params, "district_code": "992"},
            headers=minter.headers("registry:read", areas=("991",)),
        )
    )
    assert lines == []
    lines = ndjson(
        await http.get(
            "/beneficiaries/entitlements",
            params={**params, "province_code": "99"},
            headers=minter.headers("registry:read", **READ_ALL),
        )
    )
    assert len(lines) == 6
    r = await http.get(
        "/beneficiaries/entitlements",
        params={"from": "2022-01", "to": "2024-01"},
        headers=minter.headers("registry:read", **READ_ALL),
    )
    assert r.status_code == 422


async def test_bulk_streams_in_chunks(app, http, minter):  # noqa: F811
    from common.auth import Principal
    from services.registry.beneficiaries import service
    from services.registry.parameters.service import load_parameters
    from services.registry.rules.months import Month

    people = await three(http, minter)
    async with app.state.sessionmaker() as s:
        parameters = await load_parameters(s)
    principal = Principal("reader", frozenset({"registry:read"}), ("99",), issued_at=0, expires_at=0)
    lines = [
        line
        async for line in service.bulk_entitlements(
            app.state.sessionmaker,
            parameters,
            principal,
            Month(2024, 1),
            Month(2024, 1),
            commune_code=None,
            district_code=None,
            province_code=None,
            chunk=2,
        )
    ]
    assert sorted(line["beneficiary_id"] for line in lines) == sorted(p["id"] for p in people)


async def test_search_filters_area_limit_and_pagination(app, http, minter):  # noqa: F811
    people = await three(http, minter)
    young = await beneficiary(http, minter, "Phạm Thị Đào", date(1990, 1, 1), "99101")
    r = await http.post(
        f"/beneficiaries/{people[2]['id']}/decisions",
        json={"kind": "change_category", "effective_month": "2024-01", "categories": ["5.6"]},
        headers={**h(minter, {"client_id": "checker", "areas": ("99",)}), "If-Match": '"1"'},
    )
    assert r.status_code == 201, r.text
    async with app.state.sessionmaker() as s:
        household = Household(
            id=uuid.uuid4(),
            commune_code="99101",
            district_code="991",
            province_code="99",
            created_by="t",
            updated_by="t",
        )
        s.add(household)
        await s.flush()
        s.add(
            HouseholdMember(
                household_id=household.id,
                person_id=uuid.UUID(people[0]["person_id"]),
                relationship="head",
                joined_on=date(2000, 1, 1),
            )
        )
        s.add_all(
            [
                PovertyStatus(
                    household_id=household.id,
                    status="poor",
                    valid_from=date(2020, 1, 1),
                    document="QĐ 1",
                    recorded_by="t",
                ),
                PovertyStatus(
                    household_id=household.id,
                    status="near_poor",
                    valid_from=date(2023, 1, 1),
                    document="QĐ 2",
                    recorded_by="t",
                ),
            ]
        )
        await s.commit()
    everyone = minter.headers("registry:read", **READ_ALL)

    async def ids(headers=everyone, **params) -> list[str]:
        r = await http.get("/beneficiaries", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [item["id"] for item in r.json()["items"]]

    # ordered by name key: "le van cuong", "nguyen van duc", "pham thi dao", "tran van ba"
    assert await ids() == [people[2]["id"], people[1]["id"], young["id"], people[0]["id"]]
    assert await ids(q="NGUYEN van duc") == [people[1]["id"]]
    assert await ids(q="Đức") == [people[1]["id"]]
    assert await ids(category="5.6") == [people[2]["id"]]
    assert await ids(category="5.5a") == [people[1]["id"], young["id"], people[0]["id"]]
    assert await ids(age_to=60) == [young["id"]]
    assert await ids(age_from=60, commune_code="99101") == [people[0]["id"]]
    assert await ids(district_code="992") == [people[2]["id"]]
    assert await ids(poverty_status="near_poor") == [people[0]["id"]]
    assert await ids(poverty_status="poor") == []
    assert await ids(status="active") == [people[2]["id"], people[1]["id"], young["id"], people[0]["id"]]
    assert await ids(status="suspended") == []
    assert await ids(minter.headers("registry:read", areas=("992",))) == [people[2]["id"]]
    r = await http.get("/beneficiaries", params={"q": "tran"}, headers=everyone)
    item = r.json()["items"][0]
    assert item["categories"] == ["5.5a"] and item["poverty_status"] == "near_poor" and item["commune_code"] == "99101"

    seen, cursor = [], None
    while True:
        r = await http.get(
            "/beneficiaries", params={"limit": 3, **({"cursor": cursor} if cursor else {})}, headers=everyone
        )
        assert r.status_code == 200, r.text
        seen += [item["id"] for item in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == await ids()
    r = await http.get("/beneficiaries", params={"cursor": "not-a-cursor"}, headers=everyone)
    assert r.status_code == 422
