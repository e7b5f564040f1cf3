"""Artisans' allowance (Decree 109/2015/NĐ-CP) as a monthly programme: enrolments paid by the artisans payroll."""

import uuid

from .helpers import account_from, approve, batches, generate, line_of, maker, run

ENROLMENTS = "/programmes/artisans/enrolments"
ARTISANS = "artisans"


def enrolment(person: uuid.UUID | None = None, **kw) -> dict:
    return {
        "person_id": str(person or uuid.uuid4()),
        "recipient_name": "Nguyễn Văn Mười",
        "national_id": "084050001234",
        "commune_code": "29242",
        "title": "nghe_nhan_uu_tu",
        "amount_per_month": 850_000,
        "from_month": "2026-01",
        "legal_basis": "QĐ 15/QĐ-UBND ngày 02/01/2026",
        **kw,
    }


async def enrol(http, minter, body: dict, key: str | None = None, **headers_kw) -> dict:
    headers = maker(minter, **headers_kw) | ({"Idempotency-Key": key} if key else {})
    r = await http.post(ENROLMENTS, json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_an_enrolment_is_paid_its_amount_every_month_and_goes_to_the_postal_batch(http, minter):
    await account_from(http, minter, ARTISANS, "2026-03")
    people = await enrol(http, minter, enrolment(title="nghe_nhan_nhan_dan", amount_per_month=1_000_000))
    merit = await enrol(http, minter, enrolment(commune_code="29263"))
    assert (people["amount_per_month"], people["to_month"], people["version"]) == (1_000_000, None, 1)

    march = await run(http, minter, ARTISANS, "2026-03")
    assert (march["totals"]["line_count"], march["totals"]["amount"]) == (2, 1_850_000)
    line = await line_of(http, minter, march, uuid.UUID(people["id"]))
    assert (line["person_id"], line["recipient_name"], line["national_id"]) == (
        people["person_id"],
        "Nguyễn Văn Mười",
        "084050001234",
    )
    assert (line["regular"], line["arrears"], line["total"]) == (1_000_000, 0, 1_000_000)
    assert [(m["month"], m["kind"], m["amount"]) for m in line["months"]] == [("2026-03", "regular", 1_000_000)]
    found = await batches(http, minter, march)
    assert (found["29242"]["line_count"], found["29242"]["amount"]) == (1, 1_000_000)
    assert (found["29263"]["line_count"], found["29263"]["amount"]) == (1, 850_000)

    april = await generate(http, minter, ARTISANS, "2026-04")
    assert (april["totals"]["line_count"], april["totals"]["amount"], april["totals"]["arrears"]) == (2, 1_850_000, 0)
    assert (await line_of(http, minter, april, uuid.UUID(merit["id"])))["regular"] == 850_000


async def test_an_ended_enrolment_is_not_paid_after_its_last_month_and_a_retroactive_end_is_recovered(http, minter):
    await account_from(http, minter, ARTISANS, "2026-01")
    ended_ahead = await enrol(http, minter, enrolment())
    ended_late = await enrol(http, minter, enrolment())
    await run(http, minter, ARTISANS, "2026-01")
    await run(http, minter, ARTISANS, "2026-02")

    r = await http.post(
        f"{ENROLMENTS}/{ended_ahead['id']}/end",
        headers=maker(minter) | {"If-Match": '"1"'},
        json={"to_month": "2026-03", "legal_basis": "QĐ 40/QĐ-UBND: chuyển khỏi tỉnh"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["to_month"], r.json()["version"], r.headers["etag"]) == ("2026-03", 2, '"2"')
    # Died in January, decided in March: February was paid and is recovered.
    r = await http.post(
        f"{ENROLMENTS}/{ended_late['id']}/end",
        headers=maker(minter),
        json={"to_month": "2026-01", "legal_basis": "QĐ 41/QĐ-UBND: từ trần"},
    )
    assert r.status_code == 200, r.text

    march = await run(http, minter, ARTISANS, "2026-03")
    ahead = await line_of(http, minter, march, uuid.UUID(ended_ahead["id"]))
    assert (ahead["regular"], ahead["total"]) == (850_000, 850_000)
    late = await line_of(http, minter, march, uuid.UUID(ended_late["id"]))
    assert (late["regular"], late["recovery"], late["total"], late["to_recover"]) == (0, -850_000, 0, 850_000)
    april = await generate(http, minter, ARTISANS, "2026-04")
    assert await line_of(http, minter, april, uuid.UUID(ended_ahead["id"])) is None
    assert await line_of(http, minter, april, uuid.UUID(ended_late["id"])) is None
    assert april["totals"]["line_count"] == 0

    # An end only brings the last month forward; a stale If-Match is refused.
    r = await http.post(
        f"{ENROLMENTS}/{ended_ahead['id']}/end",
        headers=maker(minter),
        json={"to_month": "2026-05", "legal_basis": "QĐ 42/QĐ-UBND"},
    )
    assert r.status_code == 409 and r.json()["type"].endswith("/enrolment-ended")
    r = await http.post(
        f"{ENROLMENTS}/{ended_ahead['id']}/end",
        headers=maker(minter) | {"If-Match": '"1"'},
        json={"to_month": "2026-02", "legal_basis": "QĐ 42/QĐ-UBND"},
    )
    assert r.status_code == 412


async def test_a_back_dated_enrolment_is_paid_its_past_months_as_arrears(http, minter):
    await account_from(http, minter, ARTISANS, "2026-01")
    early = await enrol(http, minter, enrolment())
    await run(http, minter, ARTISANS, "2026-01")
    await run(http, minter, ARTISANS, "2026-02")
    # Decided in March, effective from January.
    late = await enrol(http, minter, enrolment(amount_per_month=700_000, from_month="2026-01"))
    march = await generate(http, minter, ARTISANS, "2026-03")
    line = await line_of(http, minter, march, uuid.UUID(late["id"]))
    assert (line["regular"], line["arrears"], line["total"]) == (700_000, 2 * 700_000, 3 * 700_000)
    assert [(m["month"], m["kind"]) for m in line["months"]] == [
        ("2026-01", "arrears"),
        ("2026-02", "arrears"),
        ("2026-03", "regular"),
    ]
    assert (await line_of(http, minter, march, uuid.UUID(early["id"])))["arrears"] == 0
    approved = await approve(http, minter, march)
    assert approved["totals"]["amount"] == 850_000 + 3 * 700_000


async def test_enrolments_are_limited_to_the_clients_areas(http, minter):
    await enrol(http, minter, enrolment(commune_code="29242"), areas=("29242",))
    r = await http.post(ENROLMENTS, json=enrolment(commune_code="29263"), headers=maker(minter, areas=("29242",)))
    assert r.status_code == 403
    # The district and province are derived from the commune, never taken from the client.
    r = await http.post(
        ENROLMENTS, json=enrolment(commune_code="29263", district_code="29242"), headers=maker(minter, areas=("29242",))
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.district_code")
    for code in ("99999", "29236", "=1+2"):  # unknown, abolished in 2025, not a code
        r = await http.post(ENROLMENTS, json=enrolment(commune_code=code), headers=maker(minter))
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.commune_code"), code
    other = await enrol(http, minter, enrolment(commune_code="29263"))
    assert (other["district_code"], other["province_code"]) == ("", "86")

    r = await http.get(ENROLMENTS, params={"limit": 100}, headers=maker(minter, areas=("29242",)))
    assert r.status_code == 200 and {e["commune_code"] for e in r.json()["items"]} == {"29242"}
    r = await http.get(f"{ENROLMENTS}/{other['id']}", headers=maker(minter, areas=("29242",)))
    assert r.status_code == 404
    r = await http.post(
        f"{ENROLMENTS}/{other['id']}/end",
        headers=maker(minter, areas=("29242",)),
        json={"to_month": "2026-03", "legal_basis": "QĐ 1"},
    )
    assert r.status_code == 404
    r = await http.get(ENROLMENTS, params={"in_force": "2026-02", "commune_code": "29263"}, headers=maker(minter))
    assert [e["id"] for e in r.json()["items"]] == [other["id"]]


async def test_enrolment_is_idempotent_and_validated(http, minter):
    body = enrolment()
    first = await enrol(http, minter, body, key="artisan-2026-0001")
    r = await http.post(ENROLMENTS, json=body, headers=maker(minter) | {"Idempotency-Key": "artisan-2026-0001"})
    assert r.status_code == 201 and r.json() == first and r.headers["idempotent-replayed"] == "true"
    r = await http.post(
        ENROLMENTS,
        json={**body, "amount_per_month": 1_000_000},
        headers=maker(minter) | {"Idempotency-Key": "artisan-2026-0001"},
    )
    assert r.status_code == 422
    r = await http.get(ENROLMENTS, params={"person_id": body["person_id"]}, headers=maker(minter))
    assert len(r.json()["items"]) == 1

    # One enrolment in force at a time for a person.
    r = await http.post(ENROLMENTS, json={**body, "from_month": "2026-06"}, headers=maker(minter))
    assert r.status_code == 409 and r.json()["type"].endswith("/enrolment-overlaps")
    # Only the decree's amounts, whole VND as a JSON integer; months in order.
    for bad in (
        {"amount_per_month": 900_000},
        {"amount_per_month": "850000"},
        {"amount_per_month": 0},
        {"title": "nghe_nhan"},
        {"from_month": "2026-13"},
        {"from_month": "2026-05", "to_month": "2026-04"},
    ):
        r = await http.post(ENROLMENTS, json=enrolment(**bad), headers=maker(minter))
        assert r.status_code == 422, (bad, r.text)
    # Artisans are no longer one-off payments.
    r = await http.post(
        "/one-off-payments",
        headers=maker(minter),
        json={
            "programme": "artisans",
            "recipient_name": "X",
            "commune_code": "29242",
            "amount": 850_000,
            "reason": "x",
            "requested_by": "x",
        },
    )
    assert r.status_code == 422


async def test_an_artisans_amount_stays_within_the_programmes_max_amount(http, minter):
    r = await http.post(
        "/programmes/artisans/parameters",
        headers=minter.headers("admin"),
        json={"name": "max_amount", "valid_from": "2027-01", "value": "850000", "legal_basis": "QĐ UBND tỉnh 2027"},
    )
    assert r.status_code == 201, r.text
    r = await http.post(
        ENROLMENTS,
        json=enrolment(amount_per_month=1_000_000, from_month="2027-01", title="nghe_nhan_nhan_dan"),
        headers=maker(minter),
    )
    assert (r.status_code, r.json()["errors"][0]["field"], r.json()["errors"][0]["limit"]) == (
        422,
        "body.amount_per_month",
        850_000,
    )
    await enrol(
        http,
        minter,
        enrolment(amount_per_month=1_000_000, from_month="2026-12", to_month="2026-12", title="nghe_nhan_nhan_dan"),
    )
