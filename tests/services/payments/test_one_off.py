"""One-off payments: idempotent creation, paid once by the next payroll of their programme."""

import uuid
from datetime import date

from common import clock

from .helpers import approve, batches, generate, lines, maker, run

BODY = {
    "programme": "funeral",
    "recipient_name": "Trần Thị Hoa",
    "national_id": "084150001234",
    "commune_code": "29242",
    "amount": 10_000_000,
    "reason": "Mai táng phí: Trần Văn Ba (mất 2026-01-20)",
    "requested_by": "UBND phường Trà Vinh",
}


async def create(http, minter, body=None, key=None, **kw):
    headers = {**maker(minter, **kw), **({"Idempotency-Key": key} if key else {})}
    return await http.post("/one-off-payments", json=body or BODY, headers=headers)


async def test_a_retry_with_the_same_key_replays_and_another_body_gets_422(app, http, minter):
    first = await create(http, minter, key="funeral-001")
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"/payments/one-off-payments/{first.json()['id']}"
    again = await create(http, minter, key="funeral-001")
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    other = await create(http, minter, {**BODY, "amount": 20_000_000}, key="funeral-001")
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "header.idempotency-key"
    # Only one payment was created: the funeral payroll pays it once.
    payroll = await generate(http, minter, "funeral", "2026-02")
    assert (payroll["totals"]["line_count"], payroll["totals"]["amount"]) == (1, 10_000_000)


async def test_amounts_are_positive_whole_vnd_and_the_programme_takes_one_off_payments(app, http, minter):
    for amount in (0, -5, 1.5, "100"):
        r = await create(http, minter, {**BODY, "amount": amount})
        assert r.status_code == 422, amount
    r = await create(http, minter, {**BODY, "programme": "monthly_allowance"})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.programme")
    assert (await create(http, minter, areas=("844",))).status_code == 403


async def test_a_one_off_payment_is_issued_by_one_approved_payroll_only(app, http, minter):
    created = (await create(http, minter, {**BODY, "period_from": "2026-03"})).json()
    assert created["status"] == "pending"
    assert (await generate(http, minter, "funeral", "2026-02"))["totals"]["line_count"] == 0
    r = await http.post("/payrolls", json={"programme": "funeral", "period": "2026-02"}, headers=maker(minter))
    payroll = r.json() if r.status_code == 201 else None
    assert payroll is None  # the February payroll exists already (empty, pending)
    february = (await http.get("/payrolls", params={"programme": "funeral"}, headers=maker(minter))).json()["items"][0]
    await approve(http, minter, february)
    march = await run(http, minter, "funeral", "2026-03")
    [line] = await lines(http, minter, march)
    assert (line["one_off_payment_id"], line["recipient_name"], line["total"]) == (
        created["id"],
        "Trần Thị Hoa",
        10_000_000,
    )
    read = (await http.get(f"/one-off-payments/{created['id']}", headers=maker(minter))).json()
    assert (read["status"], read["payroll_id"]) == ("issued", march["id"])
    assert (await generate(http, minter, "funeral", "2026-04"))["totals"]["line_count"] == 0
    assert (await http.get(f"/one-off-payments/{uuid.uuid4()}", headers=maker(minter))).status_code == 404


async def test_a_client_limited_to_one_commune_cannot_pay_in_another(app, http, minter):
    # The incident: a client limited to commune 29242 sent another commune with its own code as the district.
    sneaky = {**BODY, "commune_code": "29263", "district_code": "29242", "province_code": "86"}
    r = await create(http, minter, sneaky, areas=("29242",))
    assert r.status_code == 422, r.text
    assert {e["field"] for e in r.json()["errors"]} == {"body.district_code", "body.province_code"}
    assert "derived from commune_code" in r.json()["errors"][0]["reason"]
    # Naming the other commune only: it is checked against the client's areas.
    r = await create(http, minter, {**BODY, "commune_code": "29263"}, areas=("29242",))
    assert (r.status_code, r.json()["type"]) == (403, "https://ansinh.gov.vn/problems/forbidden")
    # Its own commune: the district and province are derived (a 2025 commune: no district, province 86).
    own = await create(http, minter, BODY, areas=("29242",))
    assert own.status_code == 201, own.text
    assert (own.json()["commune_code"], own.json()["district_code"], own.json()["province_code"]) == ("29242", "", "86")
    # A client of the whole new province pays in any of its communes; one of an old district only on that
    # district's ground (29263 was made of communes of district 842, none of district 844).
    assert (await create(http, minter, {**BODY, "commune_code": "29263"}, areas=("86",))).status_code == 201
    assert (await create(http, minter, {**BODY, "commune_code": "29263"}, areas=("844",))).status_code == 403
    # Only the payments made in the client's own areas reach the postal batches.
    payroll = await run(http, minter, "funeral", "2026-02")
    assert sorted(await batches(http, minter, payroll)) == ["29242", "29263"]
    assert payroll["totals"]["line_count"] == 2


async def test_codes_that_are_no_commune_in_force_are_refused(app, http, minter):
    for code in ("99999", "abc", "=1+2", "842", "86", "29236", ""):
        r = await create(http, minter, {**BODY, "commune_code": code})
        assert r.status_code == 422, (code, r.text)
        assert [e["field"] for e in r.json()["errors"]] == ["body.commune_code"], code
    r = await create(http, minter, {**BODY, "commune_code": "29236"})
    assert "abolished on 2025-07-01" in r.json()["errors"][0]["reason"]
    assert "it became 29263" in r.json()["errors"][0]["reason"]
    # Before the 2025 reorganisation the old commune was in force, in its district of province 84.
    with clock.frozen(date(2025, 6, 30)):
        r = await create(http, minter, {**BODY, "commune_code": "29236", "amount": 5_000_000}, areas=("842",))
    assert r.status_code == 201, r.text
    assert (r.json()["district_code"], r.json()["province_code"]) == ("842", "84")


async def test_amounts_stay_within_the_programmes_max_amount_and_below_2_53(app, http, minter):
    with clock.frozen(date(2026, 12, 3)):
        r = await create(http, minter, {**BODY, "amount": 9_007_199_254_740_993})
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.amount")
        # Funeral support: 20 × the standard level in force (540,000 from 2026-07).
        r = await create(http, minter, {**BODY, "amount": 9_000_000_000})
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.amount")
        assert r.json()["errors"][0]["limit"] == 10_800_000
        assert "max_amount 10800000 VND in force in 2026-12" in r.json()["errors"][0]["reason"]
        assert (await create(http, minter, {**BODY, "amount": 10_800_000})).status_code == 201
    with clock.frozen(date(2026, 6, 30)):  # 20 × 500,000 before July 2026
        assert (await create(http, minter, {**BODY, "amount": 10_000_001})).status_code == 422
    # An administrator records a new limit from a month on; it applies from that month.
    r = await http.post(
        "/programmes/funeral/parameters",
        headers=minter.headers("admin"),
        json={"name": "max_amount", "valid_from": "2027-01", "value": "12000000", "legal_basis": "QĐ UBND tỉnh 2027"},
    )
    assert r.status_code == 201, r.text
    assert ("max_amount", "2027-01", "12000000") in {
        (p["name"], p["valid_from"], p["value"]) for p in r.json()["parameters"]
    }
    with clock.frozen(date(2027, 1, 5)):
        assert (await create(http, minter, {**BODY, "amount": 12_000_000})).status_code == 201
        assert (await create(http, minter, {**BODY, "amount": 12_000_001})).status_code == 422
    # Parameters themselves stay below 2^53.
    r = await http.post(
        "/programmes/funeral/parameters",
        headers=minter.headers("admin"),
        json={
            "name": "max_amount",
            "valid_from": "2027-02",
            "value": "9007199254740993",
            "legal_basis": "QĐ UBND tỉnh",
        },
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.value")
