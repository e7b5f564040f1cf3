"""Programmes and their effective-dated parameters (admin records them with a legal basis)."""

from .helpers import account_from, generate, maker


async def test_programmes_are_listed_with_their_parameters(app, http, minter):
    r = await http.get("/programmes", headers=maker(minter))
    assert r.status_code == 200
    by_code = {p["code"]: p for p in r.json()}
    assert set(by_code) >= {
        "monthly_allowance",
        "electricity",
        "artisans",
        "funeral",
        "longevity",
        "emergency",
        "service_request",
    }
    electricity = by_code["electricity"]
    assert (electricity["frequency"], electricity["kind"]) == ("quarterly", "electricity")
    assert [(p["name"], p["valid_from"], p["value"]) for p in electricity["parameters"]] == [
        ("amount_per_month", "2014-06", "46000"),
        ("max_amount", "2014-06", "200000"),
    ]
    # Funeral support is bounded by 20 × the standard level in force (digits, never "1.08E+7").
    assert [(p["valid_from"], p["value"]) for p in by_code["funeral"]["parameters"] if p["name"] == "max_amount"] == [
        ("2014-01", "5400000"),
        ("2021-07", "7200000"),
        ("2024-07", "10000000"),
        ("2026-07", "10800000"),
    ]


async def test_only_admin_records_parameters_with_a_legal_basis(app, http, minter):
    body = {"name": "postal_fee_percent", "valid_from": "2026-01", "value": "1.2", "legal_basis": "HĐ 01/2026/BĐVN"}
    r = await http.post("/programmes/monthly_allowance/parameters", json=body, headers=maker(minter))
    assert r.status_code == 403
    r = await http.post("/programmes/monthly_allowance/parameters", json=body, headers=minter.headers("admin"))
    assert r.status_code == 201, r.text
    assert [
        (p["name"], p["value"], p["recorded_by"]) for p in r.json()["parameters"] if p["name"] == "postal_fee_percent"
    ] == [("postal_fee_percent", "1.2", "test-client")]
    again = await http.post("/programmes/monthly_allowance/parameters", json=body, headers=minter.headers("admin"))
    assert (again.status_code, again.json()["type"].rsplit("/", 1)[1]) == (409, "parameter-exists")
    wrong = await http.post(
        "/programmes/monthly_allowance/parameters",
        json={**body, "name": "amount_per_month"},
        headers=minter.headers("admin"),
    )
    assert (wrong.status_code, wrong.json()["errors"][0]["field"]) == (422, "body.name")
    fraction = await http.post(
        "/programmes/electricity/parameters",
        json={**body, "name": "amount_per_month", "value": "46000.5"},
        headers=minter.headers("admin"),
    )
    assert fraction.status_code == 422
    assert (await http.get("/programmes/nope", headers=maker(minter))).status_code == 404


async def test_the_accounting_month_is_fixed_once_the_programme_has_a_payroll(app, http, minter):
    def move(month):
        return http.post(
            "/programmes/monthly_allowance/accounting-from",
            headers=minter.headers("admin"),
            json={"accounting_from": month, "legal_basis": "Kế hoạch triển khai hệ thống"},
        )

    await account_from(http, minter, "monthly_allowance", "2026-01")
    r = await move("2026-02")  # no payroll yet: it can still be changed
    assert (r.status_code, r.json()["accounting_from"]) == (200, "2026-02")
    await generate(http, minter, "monthly_allowance", "2026-03")
    r = await move("2026-01")
    assert (r.status_code, r.headers["content-type"]) == (409, "application/problem+json")
    assert r.json()["type"].rsplit("/", 1)[1] == "accounting-from-locked"
    assert "can no longer be changed" in r.json()["detail"]
    r = await http.get("/programmes/monthly_allowance", headers=maker(minter))
    assert r.json()["accounting_from"] == "2026-02"
    # Another programme without payrolls is not affected.
    await account_from(http, minter, "artisans", "2026-01")


async def test_an_electricity_amount_above_the_programmes_max_amount_is_refused(app, http, minter):
    body = {"name": "amount_per_month", "valid_from": "2026-01", "value": "250000", "legal_basis": "QĐ UBND tỉnh"}
    r = await http.post("/programmes/electricity/parameters", json=body, headers=minter.headers("admin"))
    assert (r.status_code, r.json()["errors"][0]["field"], r.json()["errors"][0]["limit"]) == (
        422,
        "body.value",
        200_000,
    )
    r = await http.post(
        "/programmes/electricity/parameters", json={**body, "value": "52000"}, headers=minter.headers("admin")
    )
    assert r.status_code == 201, r.text


async def test_a_new_max_amount_does_not_make_the_next_payroll_compare_every_month_again(app, http, minter):
    from sqlalchemy import text

    async def version():
        async with app.state.sessionmaker() as s:
            return await s.scalar(text("SELECT parameters_version FROM payments.programmes WHERE code = 'electricity'"))

    before = await version()
    body = {"name": "max_amount", "valid_from": "2027-01", "value": "300000", "legal_basis": "QĐ UBND tỉnh"}
    assert (
        await http.post("/programmes/electricity/parameters", json=body, headers=minter.headers("admin"))
    ).status_code == 201
    assert await version() == before
    body = {**body, "name": "amount_per_month", "value": "52000"}
    assert (
        await http.post("/programmes/electricity/parameters", json=body, headers=minter.headers("admin"))
    ).status_code == 201
    assert await version() == before + 1
