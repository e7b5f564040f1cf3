"""Card groups and effective-dated parameters, changed by two admins (maker-checker)."""


def admin(minter, client_id):
    return minter.headers("admin", client_id=client_id)


async def test_groups_and_the_seeded_values_are_readable_with_their_legal_basis(http, minter):
    r = await http.get("/parameters", headers=minter.headers("insurance:read"))
    assert r.status_code == 200, r.text
    body = r.json()
    groups = {g["code"]: g for g in body["groups"]}
    assert [g["code"] for g in body["groups"]] == ["TE", "BT", "HN", "CN", "GB", "HS", "SV"]
    assert (groups["GB"]["benefit_level"], groups["GB"]["state_share"]) == (4, "0.3")
    assert groups["HS"]["from_events"] is False
    base = [(v["valid_from"], v["value"]) for v in body["values"] if v["name"] == "base_salary"]
    assert ("2019-07-01", "1490000") in base and ("2024-07-01", "2340000") in base
    rate = next(v for v in body["values"] if v["name"] == "contribution_rate")
    assert (rate["value"], rate["legal_basis"].startswith("Luật BHYT")) == ("0.045", True)
    assert (await http.get("/parameters", headers=minter.headers("payments:read"))).status_code == 403


async def test_a_value_applies_only_once_another_admin_approves_it(http, minter):
    r = await http.post(
        "/parameters/proposals",
        headers=admin(minter, "admin-a"),
        json={"name": "base_salary", "valid_from": "2027-01-01", "value": "2700000", "legal_basis": "Nghị định 1/2027"},
    )
    assert r.status_code == 201, r.text
    proposal = r.json()
    body = (await http.get("/parameters", headers=minter.headers("insurance:read"))).json()
    assert [p["id"] for p in body["proposals"]] == [proposal["id"]]
    assert all(v["valid_from"] != "2027-01-01" for v in body["values"])

    r = await http.post(f"/parameters/proposals/{proposal['id']}/approve", json={}, headers=admin(minter, "admin-a"))
    assert (r.status_code, r.json()["type"].rsplit("/", 1)[1]) == (403, "maker-checker")
    r = await http.post(f"/parameters/proposals/{proposal['id']}/approve", json={}, headers=admin(minter, "admin-b"))
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["decided_by"]) == ("approved", "admin-b")
    body = (await http.get("/parameters", headers=minter.headers("insurance:read"))).json()
    assert ("2027-01-01", "2700000") in [(v["valid_from"], v["value"]) for v in body["values"]]
    # Decided once: a second decision is a conflict.
    r = await http.post(f"/parameters/proposals/{proposal['id']}/reject", json={}, headers=admin(minter, "admin-c"))
    assert r.status_code == 409


async def test_a_second_value_for_the_same_day_is_refused_at_approval(http, minter):
    r = await http.post(
        "/parameters/proposals",
        headers=admin(minter, "admin-a"),
        json={"name": "contribution_rate", "valid_from": "2016-05-01", "value": "0.05", "legal_basis": "typo"},
    )
    assert r.status_code == 201
    r = await http.post(f"/parameters/proposals/{r.json()['id']}/approve", json={}, headers=admin(minter, "admin-b"))
    assert (r.status_code, r.json()["type"].rsplit("/", 1)[1]) == (409, "parameter-exists")


async def test_unknown_names_and_impossible_values_are_422(http, minter):
    for body in [
        {"name": "bonus", "value": "1"},
        {"name": "state_share.XX", "value": "0.5"},
        {"name": "contribution_rate", "value": "4.5"},
        {"name": "base_salary", "value": "1.5"},
    ]:
        r = await http.post(
            "/parameters/proposals",
            headers=admin(minter, "admin-a"),
            json={**body, "valid_from": "2027-01-01", "legal_basis": "test"},
        )
        assert r.status_code == 422, (body, r.text)
    r = await http.post(
        "/parameters/proposals",
        headers=minter.headers("insurance:read"),
        json={"name": "base_salary", "value": "1", "valid_from": "2027-01-01", "legal_basis": "x x"},
    )
    assert r.status_code == 403
