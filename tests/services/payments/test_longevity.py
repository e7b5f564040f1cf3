"""Longevity gifts: amounts from effective-dated parameters (never below the national minima), one gift per person
and year, the cash paid through the post office by the longevity payroll or the whole gift given in kind, and a
yearly report of what was actually issued and paid."""

import uuid

from .helpers import batches, generate, lines, maker, paid, partner, run, unpaid

ADMIN_BASIS = "QĐ 05/2026/QĐ-UBND: mức quà mừng thọ của tỉnh"


def gift(dob: str, delivery: str = "post_office", **kw):
    return {
        "person_id": str(uuid.uuid4()),
        "recipient_name": "Nguyễn Văn Mười",
        "national_id": None,
        "date_of_birth": dob,
        "commune_code": "29242",
        "year": 2026,
        "gift_date": "2026-03-05",
        "delivery": delivery,
        "decision": "QĐ 120/QĐ-UBND",
        **kw,
    }


async def record(http, minter, body, **kw):
    return await http.post("/longevity-gifts", json=body, headers=maker(minter, **kw))


async def report(http, minter, year=2026):
    r = await http.get("/reports/longevity", params={"year": year}, headers=maker(minter))
    assert r.status_code == 200, r.text
    return {a["age"]: a for a in r.json()["ages"]}


async def test_gift_amounts_are_parameters_the_province_may_raise_but_not_lower(app, http, minter):
    admin = minter.headers("admin")
    low = {"name": "gift_100_cash", "valid_from": "2026-01", "value": "600000", "legal_basis": ADMIN_BASIS}
    r = await http.post("/programmes/longevity/parameters", json=low, headers=admin)
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.value")
    r = await http.post("/programmes/longevity/parameters", json={**low, "name": "gift_95_cash"}, headers=admin)
    assert r.status_code == 422
    raised = {"name": "gift_90_cash", "valid_from": "2026-03", "value": "800000", "legal_basis": ADMIN_BASIS}
    r = await http.post("/programmes/longevity/parameters", json=raised, headers=admin)
    assert r.status_code == 201, r.text
    # A gift in February gets the minimum in force then, one in March the province's new amount.
    february = await record(http, minter, gift("1936-07-01", gift_date="2026-02-20"))
    march = await record(http, minter, gift("1936-07-01", gift_date="2026-03-01"))
    assert (february.json()["cash"], february.json()["in_kind_value"]) == (500_000, 150_000)
    assert (march.json()["cash"], march.json()["in_kind_value"]) == (800_000, 150_000)
    hundred = (await record(http, minter, gift("1926-01-01"))).json()
    assert (hundred["age"], hundred["cash"], hundred["in_kind_value"]) == (100, 700_000, None)


async def test_one_gift_per_person_and_year_for_90_and_100_within_the_areas(app, http, minter):
    body = gift("1936-12-31")
    first = await record(http, minter, body)
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"/payments/longevity-gifts/{first.json()['id']}"
    again = await record(http, minter, body)
    assert again.status_code == 409 and again.json()["type"].endswith("/gift-exists")
    assert again.json()["existing"] == first.headers["location"]
    r = await record(http, minter, gift("1940-01-01"))
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.date_of_birth")
    r = await record(http, minter, gift("1936-01-01", gift_date="2027-01-02"))
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.gift_date")
    assert (await record(http, minter, gift("1936-01-01"), areas=("844",))).status_code == 403
    gift_id = first.json()["id"]
    assert (await http.get(f"/longevity-gifts/{gift_id}", headers=maker(minter, areas=("844",)))).status_code == 404
    page = (await http.get("/longevity-gifts", params={"year": 2026}, headers=maker(minter))).json()
    assert [g["id"] for g in page["items"]] == [gift_id]
    assert (await http.get("/longevity-gifts", params={"year": 2026}, headers=maker(minter, areas=("844",)))).json()[
        "items"
    ] == []
    # The refused second gift left no payment behind: the payroll pays the first one only.
    payroll = await generate(http, minter, "longevity", "2026-03")
    assert (payroll["totals"]["line_count"], payroll["totals"]["amount"]) == (1, 500_000)


async def test_the_report_shows_what_was_issued_and_paid_by_the_post_office_and_given_in_kind(app, http, minter):
    a = (await record(http, minter, gift("1936-05-05", recipient_name="Trần Văn A"))).json()
    b = (await record(http, minter, gift("1926-05-05", recipient_name="Lê Thị B"))).json()
    c = (await record(http, minter, gift("1936-08-08", "in_kind", recipient_name="Phạm Văn C"))).json()
    assert (a["payment_status"], c["one_off_payment_id"], c["payment_status"]) == ("pending", None, None)
    before = await report(http, minter)
    assert (before[90]["gifts"], before[90]["cash_recorded"], before[90]["cash_issued"]) == (2, 1_000_000, 0)

    march = await run(http, minter, "longevity", "2026-03")
    assert march["totals"]["amount"] == 500_000 + 700_000  # the in-kind gift is not paid by the system
    line_a, line_b = sorted(await lines(http, minter, march), key=lambda x: x["recipient_name"], reverse=True)
    assert (line_a["one_off_payment_id"], line_b["one_off_payment_id"]) == (
        a["one_off_payment_id"],
        b["one_off_payment_id"],
    )
    batch = (await batches(http, minter, march))["29242"]
    r = await http.post(
        f"/batches/{batch['id']}/results", json={"results": [paid(line_a), unpaid(line_b)]}, headers=partner(minter)
    )
    assert r.status_code == 200, r.text
    mid = await report(http, minter)
    assert {
        k: mid[90][k]
        for k in (
            "gifts",
            "by_post",
            "in_kind",
            "cash_issued",
            "cash_paid",
            "cash_in_kind",
            "in_kind_value",
            "in_kind_without_value",
        )
    } == {
        "gifts": 2,
        "by_post": 1,
        "in_kind": 1,
        "cash_issued": 500_000,
        "cash_paid": 500_000,
        "cash_in_kind": 500_000,
        "in_kind_value": 300_000,
        "in_kind_without_value": 0,
    }
    assert (mid[100]["cash_issued"], mid[100]["cash_paid"], mid[100]["in_kind_without_value"]) == (700_000, 0, 1)

    # The unpaid gift is carried by the next payroll and paid then: the report counts it once.
    april = await run(http, minter, "longevity", "2026-04")
    [carried] = await lines(http, minter, april)
    assert (carried["carried"], carried["total"]) == (700_000, 700_000)
    batch = (await batches(http, minter, april))["29242"]
    r = await http.post(f"/batches/{batch['id']}/results", json={"results": [paid(carried)]}, headers=partner(minter))
    assert r.status_code == 200, r.text
    after = await report(http, minter)
    assert (after[100]["cash_issued"], after[100]["cash_paid"]) == (700_000, 700_000)
    # The same money as the ledger's.
    r = await http.get("/ledger/totals", params={"year": 2026, "programme": "longevity"}, headers=maker(minter))
    [row] = r.json()["rows"]
    assert row["paid"] == after[90]["cash_paid"] + after[100]["cash_paid"]
    read = (await http.get(f"/longevity-gifts/{b['id']}", headers=maker(minter))).json()
    assert read["payment_status"] == "issued"
