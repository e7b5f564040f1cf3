"""The safety audit finds, among data recorded before the rules, what the rules now refuse."""

import uuid

from sqlalchemy import text

from services.payments.audit import service as audit

from .helpers import batches, feed, lines, maker, paid, partner, period, run, schedule

ONE_OFF = """
    INSERT INTO payments.one_off_payments (id, programme, recipient_name, commune_code, district_code, province_code,
                                           amount, reason, requested_by, created_by, created_at)
    VALUES (:id, 'funeral', 'Trần Thị Hoa', :commune, :district, :province, :amount, 'Mai táng phí', 'UBND',
            'officer-maker', TIMESTAMPTZ '2026-11-20 10:00+07')
"""


async def test_records_placed_by_the_clients_codes_big_amounts_and_wrong_paid_days_are_found(app, http, minter):
    incident, nowhere, huge, fine = (uuid.uuid4() for _ in range(4))
    async with app.state.sessionmaker() as s:
        for id_, commune, district, province, amount in (
            (incident, "29263", "29242", "86", 9_000_000),
            (nowhere, "99999", "999", "99", 1_000_000),
            (huge, "29242", "", "86", 9_000_000_000),
            (fine, "29242", "", "86", 10_000_000),
        ):
            await s.execute(
                text(ONE_OFF),
                {"id": id_, "commune": commune, "district": district, "province": province, "amount": amount},
            )
        await s.commit()
    await feed(app, schedule(uuid.uuid4(), 1, [period("2024-07", None, 750_000)]))
    payroll = await run(http, minter, "monthly_allowance", "2026-03")
    batch = (await batches(http, minter, payroll))["84101"]
    [line] = await lines(http, minter, payroll)
    r = await http.post(f"/batches/{batch['id']}/results", json={"results": [paid(line)]}, headers=partner(minter))
    assert r.status_code == 200, r.text
    async with app.state.sessionmaker() as s:  # as a report recorded before the rule would have left it
        await s.execute(
            text("UPDATE payments.line_results SET paid_on = DATE '2099-01-01' WHERE line_id = :l"), {"l": line["id"]}
        )
        await s.commit()
        found = await audit.findings(s)
    by_id = {(f["kind"], f["id"]): f["reason"] for f in found}
    assert set(by_id) == {
        ("area", str(incident)),
        ("area", str(nowhere)),
        ("amount", str(huge)),
        ("paid_on", line["id"]),
    }
    assert "commune 29263 was in district '', province '86'" in by_id[("area", str(incident))]
    assert "unknown commune '99999'" in by_id[("area", str(nowhere))]
    assert "above max_amount 10800000 in force in 2026-11" in by_id[("amount", str(huge))]
    assert "after the day it was reported" in by_id[("paid_on", line["id"])]
    # A payment made through the API today follows the rules: nothing new is found.
    r = await http.post(
        "/one-off-payments",
        headers=maker(minter),
        json={
            "programme": "funeral",
            "recipient_name": "Lê Văn Tư",
            "commune_code": "29263",
            "amount": 5_000_000,
            "reason": "Mai táng phí",
            "requested_by": "UBND phường Long Đức",
        },
    )
    assert r.status_code == 201, r.text
    async with app.state.sessionmaker() as s:
        assert len(await audit.findings(s)) == len(found)
