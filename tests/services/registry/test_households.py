"""The households API of the registry, on real PostgreSQL (each test rolled back)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text

from services.registry.models import EVENT_TABLES, ChangeRecord

# Test-only units in force today, province 99 (as in test_persons.py); 98 is a province the tokens below cannot see.
UNITS = [  # code, level, parent, province
    ("99", "province", None, "99"),
    ("991", "district", "99", "99"),
    ("992", "district", "99", "99"),
    ("99101", "commune", "991", "99"),
    ("99201", "commune", "992", "99"),
    ("98", "province", None, "98"),
    ("981", "district", "98", "98"),
    ("98101", "commune", "981", "98"),
]
WRITE = ("registry:read", "registry:write")


@pytest.fixture
async def http(app, client):
    async with app.state.sessionmaker() as s:  # joins the test's outer transaction, rolled back at the end
        for code, level, parent, province in UNITS:
            await s.execute(
                text(
                    "INSERT INTO registry.admin_units (code, name, level, kind, parent_code, province_code, "
                    "valid_from) "
                    "VALUES (:code, :code, :level, '', :parent, :province, DATE '2004-01-01') ON CONFLICT DO NOTHING"
                ),
                {"code": code, "level": level, "parent": parent, "province": province},
            )
        await s.commit()
    return client


def headers(minter, areas=("99",), scopes=WRITE):
    return minter.headers(*scopes, areas=areas)


async def person(http, minter, name="Nguyễn Văn An", commune="99101", areas=("99",)) -> str:
    r = await http.post(
        "/persons",
        headers=headers(minter, areas),
        json={"full_name": name, "date_of_birth": "1960-05-01", "sex": "male", "commune_code": commune},
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def household(http, minter, members, **extra):
    body = {"commune_code": "99101", "address_line": "Ấp 3", "members": members, **extra}
    return await http.post("/households", headers=headers(minter), json=body)


async def test_create_with_one_head_returns_members_poverty_and_address(app, http, minter):
    head, wife = await person(http, minter), await person(http, minter, "Trần Thị Bình")
    r = await household(
        http,
        minter,
        [{"person_id": head, "relationship": "head"}, {"person_id": wife, "relationship": "spouse"}],
        poverty={"status": "poor", "valid_from": "2026-01-01", "document": "QĐ 12/QĐ-UBND 02/01/2026"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["etag"] == '"1"' and r.headers["location"] == f"/registry/households/{body['id']}"
    assert [(m["full_name"], m["relationship"]) for m in body["members"]] == [
        ("Nguyễn Văn An", "head"),
        ("Trần Thị Bình", "spouse"),
    ]
    assert body["poverty_status"]["status"] == "poor"
    assert (body["district_code"], body["province_code"]) == ("991", "99")
    assert [a["commune_code"] for a in body["addresses"]] == ["99101"]

    got = await http.get(f"/households/{body['id']}", headers=headers(minter, scopes=("registry:read",)))
    assert got.status_code == 200 and got.headers["etag"] == '"1"' and got.json()["members"] == body["members"]
    async with app.state.sessionmaker() as s:
        changes = list(
            await s.scalars(
                select(ChangeRecord).where(
                    ChangeRecord.record_type == "household", ChangeRecord.record_id == uuid.UUID(body["id"])
                )
            )
        )
    assert len(changes) == 1 and changes[0].before is None


@pytest.mark.parametrize("relationships", [("spouse", "child"), ("head", "head")])
async def test_zero_or_two_heads_is_422_naming_members(http, minter, relationships):
    ids = [await person(http, minter), await person(http, minter, "Lê Văn Cường")]
    members = [{"person_id": p, "relationship": rel} for p, rel in zip(ids, relationships, strict=True)]
    r = await household(http, minter, members)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["body.members"]


async def test_unknown_person_is_422_naming_the_member(http, minter):
    r = await household(http, minter, [{"person_id": str(uuid.uuid4()), "relationship": "head"}])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.members.0.person_id"


async def test_a_person_already_in_a_household_is_409_naming_it(http, minter):
    head, other = await person(http, minter), await person(http, minter, "Lê Văn Cường")
    first = (await household(http, minter, [{"person_id": head, "relationship": "head"}])).json()
    r = await household(
        http, minter, [{"person_id": other, "relationship": "head"}, {"person_id": head, "relationship": "parent"}]
    )
    assert r.status_code == 409, r.text
    assert r.json()["person_id"] == head and r.json()["household"] == f"/registry/households/{first['id']}"
    added = await http.post(
        f"/households/{first['id']}/members", headers=headers(minter), json={"person_id": head, "relationship": "child"}
    )
    assert added.status_code == 409


async def test_poverty_status_history_and_event(app, http, minter):
    head = await person(http, minter)
    h = (await household(http, minter, [{"person_id": head, "relationship": "head"}])).json()
    for status, valid_from in [("poor", "2025-01-01"), ("near_poor", "2026-01-01"), ("none", "2999-01-01")]:
        r = await http.post(
            f"/households/{h['id']}/poverty-status",
            headers=headers(minter),
            json={"status": status, "valid_from": valid_from, "document": f"QĐ {status}"},
        )
        assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == 4
    assert body["poverty_status"]["status"] == "near_poor"  # the 2999 one is recorded but not yet in force
    assert [p["status"] for p in body["poverty_history"]] == ["none", "near_poor", "poor"]
    async with app.state.sessionmaker() as s:
        rows = (
            (
                await s.execute(
                    select(EVENT_TABLES.outbox)
                    .where(EVENT_TABLES.outbox.c.subject == h["id"])
                    .order_by(EVENT_TABLES.outbox.c.sequence)
                )
            )
            .mappings()
            .all()
        )
    events = [row["envelope"] if "envelope" in row else dict(row) for row in rows]
    # The household's creation published its head's membership first (the insurance service's HN/CN/GB input).
    assert [e["type"] for e in events] == (
        ["registry.household.member_joined.v1"] + ["registry.household.poverty_status_changed.v1"] * 3
    )
    assert events[0]["data"]["person_id"] == head
    events = events[1:]
    assert events[0]["data"] == {
        "household_id": h["id"],
        "status": "poor",
        "valid_from": "2025-01-01",
        "document": "QĐ poor",
        "commune_code": "99101",
        "district_code": "991",
        "province_code": "99",
    }


async def test_move_needs_a_fresh_if_match_and_keeps_address_history(http, minter):
    head = await person(http, minter)
    h = (await household(http, minter, [{"person_id": head, "relationship": "head"}])).json()
    url, move = f"/households/{h['id']}/move", {"commune_code": "99201", "valid_from": "2999-01-01"}
    assert (await http.post(url, headers=headers(minter), json=move)).status_code == 428
    r = await http.post(url, headers={**headers(minter), "If-Match": '"1"'}, json=move)
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"2"' and (r.json()["commune_code"], r.json()["district_code"]) == ("99201", "992")
    assert [(a["commune_code"], a["valid_to"]) for a in r.json()["addresses"]] == [
        ("99101", "2999-01-01"),
        ("99201", None),
    ]
    stale = await http.post(
        url, headers={**headers(minter), "If-Match": '"1"'}, json={"commune_code": "99101", "valid_from": "2999-06-01"}
    )
    assert stale.status_code == 412 and stale.headers["etag"] == '"2"'


async def test_history_lists_every_change_newest_first_by_pages_within_areas(http, minter):
    head = await person(http, minter)
    h = (await household(http, minter, [{"person_id": head, "relationship": "head"}])).json()
    r = await http.post(
        f"/households/{h['id']}/poverty-status",
        headers=headers(minter),
        json={"status": "near_poor", "valid_from": "2026-01-01", "document": "QĐ 7/QĐ-UBND"},
    )
    assert r.status_code == 200
    r = await http.post(
        f"/households/{h['id']}/move",
        headers={**headers(minter), "If-Match": '"2"'},
        json={"commune_code": "99201", "valid_from": "2999-03-01", "reason": "chuyển về xã"},
    )
    assert r.status_code == 200, r.text

    url = f"/households/{h['id']}/history"
    r = await http.get(url, params={"limit": 2}, headers=headers(minter, scopes=("registry:read",)))
    assert r.status_code == 200, r.text
    first = r.json()
    assert [c["version"] for c in first["items"]] == [3, 2]
    assert first["items"][0]["reason"] == "chuyển về xã" and first["items"][1]["reason"] == "QĐ 7/QĐ-UBND"
    assert first["items"][0]["before"]["commune_code"] == "99101"
    assert first["items"][0]["after"]["commune_code"] == "99201"
    r = await http.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers(minter))
    rest = r.json()
    assert [c["version"] for c in rest["items"]] == [1] and rest["next_cursor"] is None
    assert rest["items"][0]["before"] is None

    assert (await http.get(url, headers=headers(minter, areas=("98",)))).status_code == 404
    r = await http.get(url, params={"cursor": "bm90LWEtY3Vyc29y"}, headers=headers(minter))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.cursor"


async def test_removing_the_head_needs_a_new_head(http, minter):
    head, child = await person(http, minter), await person(http, minter, "Nguyễn Văn Bé")
    h = (await household(http, minter, [{"person_id": head, "relationship": "head"}])).json()
    r = await http.post(
        f"/households/{h['id']}/members", headers=headers(minter), json={"person_id": child, "relationship": "child"}
    )
    assert r.status_code == 200, r.text
    url = f"/households/{h['id']}/members/{head}"
    r = await http.delete(url, headers=headers(minter))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.new_head"
    r = await http.delete(url, headers=headers(minter), params={"new_head": child})
    assert r.status_code == 200, r.text
    assert [(m["person_id"], m["relationship"]) for m in r.json()["members"]] == [(child, "head")]
    again = await household(http, minter, [{"person_id": head, "relationship": "head"}])
    assert again.status_code == 201, again.text  # the former head may now start a household of their own


async def test_areas(http, minter):
    head = await person(http, minter)
    outside = await household(http, minter, [{"person_id": head, "relationship": "head"}], commune_code="98101")
    assert outside.status_code == 403
    h = (await household(http, minter, [{"person_id": head, "relationship": "head"}])).json()
    other_area = headers(minter, areas=("98",))
    assert (await http.get(f"/households/{h['id']}", headers=other_area)).status_code == 404
    assert (
        await http.post(
            f"/households/{h['id']}/poverty-status",
            headers=other_area,
            json={"status": "poor", "valid_from": "2026-01-01", "document": "x"},
        )
    ).status_code == 404
    stranger = await person(http, minter, "Phạm Văn Khác", commune="98101", areas=("98",))
    r = await http.post(
        f"/households/{h['id']}/members", headers=headers(minter), json={"person_id": stranger, "relationship": "other"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.person_id"
    read_only = headers(minter, scopes=("registry:read",))
    assert (await household(http, minter, [], commune_code="99101")).status_code == 422
    assert (await http.post("/households", headers=read_only, json={})).status_code == 403
