"""Policy parameters: seeded standard levels and category rules, admin additions, the engine's loader."""

from __future__ import annotations

from services.registry.parameters.service import load_parameters
from services.registry.rules.months import Month
from services.registry.rules.parameters import DEFAULT_CATEGORY_RULES, DEFAULT_STANDARD_LEVELS, Parameters


async def test_standard_levels_are_seeded(client, read):
    r = await client.get("/parameters/standard-levels", headers=read)
    assert r.status_code == 200, r.text
    levels = {level["valid_from"]: level["amount"] for level in r.json()}
    assert levels == {"2014-01": 270_000, "2021-07": 360_000, "2024-07": 500_000, "2026-07": 540_000}
    assert {level["recorded_by"] for level in r.json()} == {"seed"}


async def test_category_rules_are_seeded(client, read):
    r = await client.get("/parameters/category-rules", headers=read)
    assert r.status_code == 200
    assert {rule["code"] for rule in r.json()} == {rule.code for rule in DEFAULT_CATEGORY_RULES}
    r = await client.get("/parameters/category-rules", params={"code": "5.1"}, headers=read)
    (rule,) = r.json()
    assert rule["valid_from"] == "2014-01"
    assert [b["coefficient"] for b in rule["rule"]["bands"]] == ["2.5", "1.5"]


async def test_loaded_parameters_equal_the_seed_defaults(app, client):
    """The migration holds a frozen copy of the DEFAULT_* values: this catches any drift between them."""
    async with app.state.sessionmaker() as session:
        params = await load_parameters(session)
    assert params.standard_levels == DEFAULT_STANDARD_LEVELS
    assert sorted(params.category_rules, key=lambda r: (r.code, r.valid_from)) == sorted(
        DEFAULT_CATEGORY_RULES, key=lambda r: (r.code, r.valid_from)
    )
    defaults = Parameters(DEFAULT_STANDARD_LEVELS, DEFAULT_CATEGORY_RULES)
    for month, amount in [
        ("2014-01", 270_000),
        ("2021-06", 270_000),
        ("2021-07", 360_000),
        ("2024-06", 360_000),
        ("2024-07", 500_000),
        ("2026-07", 540_000),
    ]:
        level = params.standard_level(Month.parse(month))
        assert level is not None and level.amount == amount == defaults.standard_level(Month.parse(month)).amount
    assert params.standard_level(Month(2013, 12)) is None
    assert params.standard_level(Month(2026, 7)).verify
    assert params.category_rule("5.5b", Month(2021, 6)) is None
    assert params.category_rule("5.6", Month(2024, 7)) == defaults.category_rule("5.6", Month(2024, 7))


async def test_admin_adds_a_standard_level(app, client, read, admin):
    body = {"valid_from": "2027-01", "amount": 600_000, "legal_basis": "Decree 1/2027/NĐ-CP"}
    r = await client.post("/parameters/standard-levels", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["valid_from"] == "2027-01" and r.json()["recorded_by"]
    assert (await client.post("/parameters/standard-levels", json=body, headers=admin)).status_code == 409
    dup = {"valid_from": "2024-07", "amount": 1, "legal_basis": "x"}
    assert (await client.post("/parameters/standard-levels", json=dup, headers=admin)).status_code == 409
    # Retroactive: a month already past is accepted.
    retro = {"valid_from": "2020-01", "amount": 300_000, "legal_basis": "Provincial resolution (test)"}
    assert (await client.post("/parameters/standard-levels", json=retro, headers=admin)).status_code == 201
    levels = (await client.get("/parameters/standard-levels", headers=read)).json()
    assert [level["valid_from"] for level in levels][-1] == "2027-01"


async def test_invalid_standard_level_is_422_with_fields(client, admin):
    r = await client.post(
        "/parameters/standard-levels", json={"valid_from": "2027-13", "amount": 0, "legal_basis": "  "}, headers=admin
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"body.valid_from", "body.amount", "body.legal_basis"}
    r = await client.post("/parameters/standard-levels", json={"valid_from": "2027-01", "amount": 1.5}, headers=admin)
    assert {e["field"] for e in r.json()["errors"]} == {"body.amount", "body.legal_basis"}


async def test_only_admin_records_parameters(client, read):
    body = {"valid_from": "2027-01", "amount": 600_000, "legal_basis": "Decree 1/2027/NĐ-CP"}
    assert (await client.post("/parameters/standard-levels", json=body, headers=read)).status_code == 403
    assert (await client.get("/parameters/standard-levels")).status_code == 401


async def test_admin_adds_a_category_rule_the_loader_reads(app, client, admin):
    body = {
        "code": "5.8",
        "valid_from": "2027-01",
        "name": "person with HIV of a poor household",
        "bands": [{"coefficient": "1.5", "below_age": 16}, {"coefficient": "2.0", "min_age": 16}],
        "legal_basis": "Decree 1/2027/NĐ-CP Art 5.8",
    }
    r = await client.post("/parameters/category-rules", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert (await client.post("/parameters/category-rules", json=body, headers=admin)).status_code == 409
    bad = {**body, "valid_from": "2027-02", "bands": [{"coefficient": "1.0", "min_age": 10, "below_age": 5}]}
    r = await client.post("/parameters/category-rules", json=bad, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.bands.0.below_age"
    r = await client.post("/parameters/category-rules", json={**body, "bands": []}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.bands"

    async with app.state.sessionmaker() as session:
        params = await load_parameters(session)
    rule = params.category_rule("5.8", Month(2027, 3))
    assert rule is not None and str(rule.band_for(20, None).coefficient) == "2.0"
    assert params.category_rule("5.8", Month(2026, 12)).bands[0].coefficient == 1.5
