"""One-off payments: idempotent creation, paid once by the next payroll of their programme."""

import uuid

from .helpers import approve, generate, lines, maker, run

BODY = {"programme": "funeral", "recipient_name": "Trần Thị Hoa", "national_id": "084150001234",
        "commune_code": "84101", "district_code": "842", "province_code": "84", "amount": 10_000_000,
        "reason": "Mai táng phí: Trần Văn Ba (mất 2026-01-20)", "requested_by": "UBND xã 84101"}


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
    assert (line["one_off_payment_id"], line["recipient_name"], line["total"]) == (created["id"], "Trần Thị Hoa",
                                                                                    10_000_000)
    read = (await http.get(f"/one-off-payments/{created['id']}", headers=maker(minter))).json()
    assert (read["status"], read["payroll_id"]) == ("issued", march["id"])
    assert (await generate(http, minter, "funeral", "2026-04"))["totals"]["line_count"] == 0
    assert (await http.get(f"/one-off-payments/{uuid.uuid4()}", headers=maker(minter))).status_code == 404
