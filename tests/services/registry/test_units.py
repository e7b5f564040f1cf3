"""Administrative units: the seeded Trà Vinh units and 2025 mapping, listing, admin additions."""

from __future__ import annotations

from datetime import date

from common.testing import app_client
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from services.registry.units import repository


async def test_seed_has_province_districts_and_communes(client, read):
    r = await client.get("/units", params={"level": "district", "parent": "84"}, headers=read)
    assert r.status_code == 200, r.text
    assert [u["code"] for u in r.json()["items"]] == ["842", "844", "845", "846", "847", "848", "849", "850", "851"]
    communes = []
    cursor = None
    while True:
        params = {"level": "commune", "limit": 30, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/units", params=params, headers=read)).json()
        communes += [u for u in page["items"] if u["province_code"] == "84"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(communes) == 104
    assert all(u["valid_to"] == "2025-07-01" and u["parent_code"].startswith("8") for u in communes)
    province = (await client.get("/units/84", headers=read)).json()
    assert province["name"] == "Tỉnh Trà Vinh" and province["level"] == "province"
    assert (await client.get("/units/86", headers=read)).json()["valid_from"] == "2025-07-01"


async def test_mapping_of_an_old_commune(client, read):
    r = await client.get("/units/29236/successors", headers=read)
    assert r.status_code == 200
    assert [(m["new_code"], m["new_name"], m["new_province_code"], m["effective_from"]) for m in r.json()] == [
        ("29263", "Phường Long Đức", "86", "2025-07-01")
    ]
    # 29242 is both an old ward (Phường 3) and the code of the new Phường Trà Vinh: the row keeps the old unit.
    detail = (await client.get("/units/29242", headers=read)).json()
    assert detail["name"] == "Phường 3" and detail["valid_to"] == "2025-07-01"
    assert [m["new_name"] for m in detail["successors"]] == ["Phường Trà Vinh"]
    assert [m["old_code"] for m in detail["predecessors"]] == ["29239", "29242", "29260"]


async def test_list_filters(client, read):
    r = await client.get("/units", params={"q": "long duc"}, headers=read)
    assert r.status_code == 200
    assert {u["code"] for u in r.json()["items"]} >= {"29263"}
    assert all("Long Đức" in u["name"] for u in r.json()["items"])
    r = await client.get("/units", params={"valid_on": "2025-08-01", "level": "province"}, headers=read)
    assert [u["code"] for u in r.json()["items"]] == ["86"]
    r = await client.get("/units", params={"valid_on": "2024-01-01", "level": "province"}, headers=read)
    assert [u["code"] for u in r.json()["items"]] == ["84"]
    r = await client.get("/units", params={"parent": "842"}, headers=read)
    assert len(r.json()["items"]) == 8 and all(u["parent_code"] == "842" for u in r.json()["items"])
    assert (await client.get("/units", params={"level": "village"}, headers=read)).status_code == 422


async def test_the_communes_in_force_today_are_listed(client, read):
    """A partner looks for the codes to register in (docs/partners.md, Areas): the 41 communes of Trà Vinh's ground
    since 2025-07-01, in province 86 with no district, found by name too; a code both old and new is listed twice."""
    on_page = []
    cursor = None
    while True:
        params = {"level": "commune", "valid_on": "2026-12-01", "limit": 7, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/units", params=params, headers=read)
        assert r.status_code == 200, r.text
        on_page += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert len(on_page) == 41 and len({u["code"] for u in on_page}) == 41
    assert all(
        (u["province_code"], u["parent_code"], u["valid_from"], u["valid_to"]) == ("86", None, "2025-07-01", None)
        for u in on_page
    )
    new = {u["code"]: u for u in on_page}
    assert (new["29266"]["name"], new["29266"]["kind"]) == ("Xã Càng Long", "Xã")
    assert (new["29242"]["name"], new["29242"]["kind"]) == ("Phường Trà Vinh", "Phường")

    # By name, without diacritics: the old Thị trấn Càng Long and today's Xã Càng Long share the code 29266.
    r = await client.get("/units", params={"level": "commune", "q": "cang long"}, headers=read)
    assert [(u["code"], u["name"], u["valid_to"]) for u in r.json()["items"]] == [
        ("29266", "Thị trấn Càng Long", "2025-07-01"),
        ("29266", "Xã Càng Long", None),
    ]
    # A page that ends between the two rows of one code loses neither.
    first = (await client.get("/units", params={"q": "cang long", "limit": 1}, headers=read)).json()
    rest = (
        await client.get("/units", params={"q": "cang long", "limit": 1, "cursor": first["next_cursor"]}, headers=read)
    ).json()
    assert [u["name"] for u in first["items"] + rest["items"]] == ["Thị trấn Càng Long", "Xã Càng Long"]
    # Before the reorganisation: the old communes only.
    r = await client.get("/units", params={"level": "commune", "valid_on": "2025-06-30", "limit": 100}, headers=read)
    assert {u["province_code"] for u in r.json()["items"]} == {"84"}
    r = await client.get("/units", params={"cursor": "not-a-cursor"}, headers=read)
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "query.cursor")


async def test_admin_adds_a_unit_and_splits_a_mapping(client, read, admin):
    unit = {
        "code": "29990",
        "name": "Xã Thử Nghiệm",
        "level": "commune",
        "kind": "Xã",
        "province_code": "86",
        "valid_from": "2025-07-01",
    }
    r = await client.post("/units", json=unit, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["province_code"] == "86" and r.json()["parent_code"] is None
    assert (await client.post("/units", json=unit, headers=admin)).status_code == 409

    # The CSV has no split: an administrator records one (29236 became 29263 and, partly, 29990).
    mapping = {
        "old_code": "29236",
        "new_code": "29990",
        "new_name": "Xã Thử Nghiệm",
        "new_province_code": "86",
        "effective_from": "2025-07-01",
    }
    r = await client.post("/units/mappings", json=mapping, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["old_name"] == "Phường 4"
    successors = (await client.get("/units/29236/successors", headers=read)).json()
    assert [m["new_code"] for m in successors] == ["29263", "29990"]
    assert (await client.post("/units/mappings", json=mapping, headers=admin)).status_code == 409
    assert (await client.delete("/units/mappings/29236/29990", headers=admin)).status_code == 204
    assert (await client.delete("/units/mappings/29236/29990", headers=admin)).status_code == 404


async def test_admin_adds_a_district_under_its_province(client, admin):
    r = await client.post(
        "/units",
        json={
            "code": "852",
            "name": "Huyện Thử",
            "level": "district",
            "kind": "Huyện",
            "parent_code": "84",
            "valid_from": "2010-01-01",
            "valid_to": "2025-07-01",
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert r.json()["province_code"] == "84"


async def test_only_admin_may_write(client, read):
    unit = {"code": "29991", "name": "Xã X", "level": "commune", "province_code": "86", "valid_from": "2025-07-01"}
    r = await client.post("/units", json=unit, headers=read)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.post(
        "/units/mappings",
        json={
            "old_code": "29236",
            "new_code": "29263",
            "new_name": "x",
            "new_province_code": "86",
            "effective_from": "2025-07-01",
        },
        headers=read,
    )
    assert r.status_code == 403
    assert (await client.get("/units")).status_code == 401


async def test_invalid_units_and_mappings_are_422_with_fields(client, admin):
    async def fields(path, body):
        r = await client.post(path, json=body, headers=admin)
        assert r.status_code == 422, r.text
        return {e["field"] for e in r.json()["errors"]}

    assert await fields(
        "/units",
        {"code": "29992", "name": "Xã Y", "level": "commune", "parent_code": "99999", "valid_from": "2025-07-01"},
    ) == {"body.parent_code"}
    assert await fields(
        "/units",
        {
            "code": "29992",
            "name": "Xã Y",
            "level": "commune",
            "parent_code": "842",
            "valid_from": "2025-08-01",
            "valid_to": "2025-01-01",
        },
    ) == {"body.valid_to", "body.valid_from"}  # valid_to before valid_from; district 842 gone by 2025-08
    assert await fields(
        "/units",
        {"code": "853", "name": "Huyện Z", "level": "district", "parent_code": "842", "valid_from": "2010-01-01"},
    ) == {"body.parent_code"}  # a district in a district
    assert await fields(
        "/units", {"code": "29992", "name": "Xã Y", "level": "commune", "valid_from": "2025-07-01"}
    ) == {"body.province_code"}
    assert await fields("/units", {"code": "abc", "name": "", "level": "hamlet", "valid_from": "soon"}) == {
        "body.code",
        "body.name",
        "body.level",
        "body.valid_from",
    }
    assert await fields(
        "/units/mappings",
        {
            "old_code": "11111",
            "new_code": "29263",
            "new_name": "x",
            "new_province_code": "99",
            "effective_from": "2025-07-01",
        },
    ) == {"body.old_code", "body.new_province_code"}


async def test_unknown_unit_is_404(client, read):
    assert (await client.get("/units/99999", headers=read)).status_code == 404
    assert (await client.get("/units/99999/successors", headers=read)).status_code == 404


async def test_mappings_is_not_a_unit_code(client, read, admin):
    # GET /units/{code} used to take /units/mappings and answer 422 about the code; the path has POST only
    r = await client.get("/units/mappings", headers=admin)
    assert r.status_code == 405 and r.headers["allow"] == "POST, OPTIONS"
    assert (await client.options("/units/mappings", headers=admin)).headers["allow"] == "POST, OPTIONS"
    assert (await client.get("/units/29236", headers=read)).status_code == 200
    assert (await client.get("/units/29236/successors", headers=read)).status_code == 200


async def test_repository_helpers(test_db, minter):
    app = create_app(RegistrySettings(database_url=test_db.urls["registry"]))
    async with app_client(app, rollback=True, keys=minter):
        async with app.state.sessionmaker() as session:
            unit = await repository.commune(session, "29236", date(2024, 12, 31))
            assert unit is not None and unit.name == "Phường 4"
            assert await repository.commune(session, "29236", date(2025, 7, 1)) is None
            assert await repository.commune(session, "842", date(2024, 1, 1)) is None  # a district
            assert [m.new_code for m in await repository.new_commune_for(session, "29236")] == ["29263"]
            assert await repository.new_commune_for(session, "99999") == []
