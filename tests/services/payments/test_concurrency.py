"""Concurrent requests, each in a transaction of its own (committed, then cleaned up)."""

import asyncio
import uuid

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from common import clock
from common.settings import to_asyncpg_url
from common.testing import app_client
from services.payments.app import create_app
from services.payments.settings import PaymentsSettings

from .helpers import maker


async def test_two_concurrent_generate_requests_make_one_payroll(test_db, minter):
    app = create_app(PaymentsSettings(database_url=test_db.urls["payments"]))
    engine = create_async_engine(to_asyncpg_url(test_db.urls["payments"]))
    body = {"programme": "funeral", "period": "2031-01"}
    try:
        async with app_client(app, keys=minter, rollback=False) as http:
            results = await asyncio.gather(
                *(http.post("/payrolls", json=body, headers=maker(minter)) for _ in range(2))
            )
            assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
            created = next(r.json() for r in results if r.status_code == 201)
            refused = next(r.json() for r in results if r.status_code == 409)
            assert refused["existing"] == f"/payments/payrolls/{created['id']}"
            # Two approvals at once: one approves, the other finds it approved.
            await http.post(f"/payrolls/{created['id']}/review", headers=maker(minter))
            checkers = [minter.headers("payments:approve", client_id=f"checker-{i}") for i in range(2)]
            results = await asyncio.gather(
                *(http.post(f"/payrolls/{created['id']}/approve", headers=h) for h in checkers)
            )
            assert sorted(r.status_code for r in results) == [200, 409]
        async with engine.connect() as conn:
            count = await conn.scalar(
                text("SELECT count(*) FROM payments.payrolls WHERE programme = 'funeral' AND period = '2031-01'")
            )
            events = await conn.scalar(
                text("SELECT count(*) FROM payments.outbox WHERE subject = :s"), {"s": created["id"]}
            )
        assert (count, events) == (1, 1)
    finally:
        async with engine.begin() as conn:
            ids = "SELECT id::text FROM payments.payrolls WHERE programme = 'funeral' AND period = '2031-01'"
            await conn.execute(text(f"DELETE FROM payments.outbox WHERE subject IN ({ids})"))
            await conn.execute(text(f"DELETE FROM payments.event_sequences WHERE subject IN ({ids})"))
            await conn.execute(text("DELETE FROM payments.payrolls WHERE programme = 'funeral' AND period = '2031-01'"))
        await engine.dispose()


async def test_two_identical_result_reports_at_once_have_one_effect(test_db, minter):
    from .helpers import CHECKER, partner

    app = create_app(PaymentsSettings(database_url=test_db.urls["payments"]))
    engine = create_async_engine(to_asyncpg_url(test_db.urls["payments"]))
    marker = "UBND xã (test: two identical result reports)"
    try:
        async with app_client(app, keys=minter, rollback=False) as http:
            r = await http.post(
                "/one-off-payments",
                headers=maker(minter),
                json={
                    "programme": "emergency",
                    "recipient_name": "Lê Thị Mai",
                    "commune_code": "29242",
                    "amount": 2_000_000,
                    "reason": "Lũ quét",
                    "requested_by": marker,
                    "period_from": "2032-01",
                },
            )
            assert r.status_code == 201, r.text
            payroll = (
                await http.post(
                    "/payrolls", json={"programme": "emergency", "period": "2032-01"}, headers=maker(minter)
                )
            ).json()
            await http.post(f"/payrolls/{payroll['id']}/review", headers=maker(minter))
            r = await http.post(
                f"/payrolls/{payroll['id']}/approve", headers=minter.headers("payments:approve", client_id=CHECKER)
            )
            assert r.status_code == 200, r.text
            batch = (await http.get("/batches", params={"payroll": payroll["id"]}, headers=partner(minter))).json()[
                "items"
            ][0]
            line = (await http.get(f"/payrolls/{payroll['id']}/lines", headers=maker(minter))).json()["items"][0]
            body = {
                "results": [
                    {
                        "line_id": line["id"],
                        "outcome": "paid",
                        "paid_on": clock.today().isoformat(),
                        "paid_to": "beneficiary",
                        "receipt_number": "BN-1",
                        "amount": 2_000_000,
                    }
                ]
            }
            results = await asyncio.gather(
                *(http.post(f"/batches/{batch['id']}/results", json=body, headers=partner(minter)) for _ in range(2))
            )
            assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
            assert sorted((r.json()["recorded"], r.json()["unchanged"]) for r in results) == [(0, 1), (1, 0)]
            assert all(r.json()["exceptions"] == 0 for r in results)
        async with engine.connect() as conn:
            paid = await conn.scalar(
                text("SELECT count(*) FROM payments.ledger_entries WHERE kind = 'paid' AND payroll_id = :p"),
                {"p": payroll["id"]},
            )
            events = await conn.scalar(
                text("SELECT count(*) FROM payments.outbox WHERE subject = :s AND type = 'payments.line.paid.v1'"),
                {"s": line["id"]},
            )
            counted = await conn.scalar(
                text("SELECT paid_count FROM payments.batches WHERE id = :b"), {"b": batch["id"]}
            )
        assert (paid, events, counted) == (1, 1, 1)
    finally:
        async with engine.begin() as conn:
            ids = "SELECT id FROM payments.payrolls WHERE programme = 'emergency' AND period = '2032-01'"
            subjects = (
                f"SELECT id::text FROM payments.batches WHERE payroll_id IN ({ids}) UNION ALL "
                f"SELECT id::text FROM payments.payroll_lines WHERE payroll_id IN ({ids}) UNION ALL "
                f"SELECT id::text FROM ({ids}) p"
            )
            await conn.execute(text(f"DELETE FROM payments.outbox WHERE subject IN ({subjects})"))
            await conn.execute(text(f"DELETE FROM payments.event_sequences WHERE subject IN ({subjects})"))
            await conn.execute(text(f"DELETE FROM payments.line_results WHERE payroll_id IN ({ids})"))
            await conn.execute(text(f"DELETE FROM payments.disbursement_exceptions WHERE payroll_id IN ({ids})"))
            await conn.execute(text(f"DELETE FROM payments.batches WHERE payroll_id IN ({ids})"))
            # The ledger refuses deletes; this test's own entries are removed with the guard off for a moment.
            await conn.execute(text("ALTER TABLE payments.ledger_entries DISABLE TRIGGER ledger_entries_append_only"))
            await conn.execute(text(f"DELETE FROM payments.ledger_entries WHERE payroll_id IN ({ids})"))
            await conn.execute(text("ALTER TABLE payments.ledger_entries ENABLE TRIGGER ledger_entries_append_only"))
            await conn.execute(
                text(f"DELETE FROM payments.one_off_payments WHERE payroll_id IN ({ids}) OR requested_by = :m"),
                {"m": marker},
            )
            await conn.execute(text(f"DELETE FROM payments.payrolls WHERE id IN ({ids})"))
        await engine.dispose()


async def test_a_file_with_a_month_not_received_holds_back_only_uploads_for_the_same_recipients(
    app, http, minter, test_db
):
    """The post office's files of different pay points are recorded side by side: while one file with an unpaid
    result is being recorded (its transaction still open), another upload of the programme for other recipients takes
    its locks at once; one for the same recipient waits (its three-month check must see the first one's result)."""
    from services.payments.disbursement import repository

    from .helpers import feed, line_of, partner, period, run, schedule, unpaid

    away, other = uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        schedule(away, 1, [period("2024-07", None, 750_000)]),
        schedule(other, 1, [period("2024-07", None, 750_000)], commune="84102"),
    )
    payroll = await run(http, minter, "monthly_allowance", "2026-01")
    batch = (await http.get("/batches", params={"payroll": payroll["id"]}, headers=partner(minter))).json()["items"]
    mine = await line_of(http, minter, payroll, away)
    r = await http.post(
        f"/batches/{next(b['id'] for b in batch if b['commune_code'] == '84101')}/results",
        headers=partner(minter),
        json={"results": [unpaid(mine)]},
    )
    assert r.status_code == 200, r.text  # recorded; the test's transaction (the upload's) stays open
    engine = create_async_engine(to_asyncpg_url(test_db.urls["payments"]))

    async def second_upload_locks(recipient: uuid.UUID) -> bool:
        """Take the locks an upload of an unpaid result for ``recipient`` takes; False when they are held."""
        async with engine.connect() as conn, conn.begin():
            await conn.execute(text("SET LOCAL lock_timeout = '1s'"))
            try:
                await conn.execute(
                    repository._PROGRAMME_LOCKS, {"programmes": ["monthly_allowance"], "exclusive": False}
                )
                await conn.execute(
                    repository._RECIPIENT_LOCKS, {"programmes": ["monthly_allowance"], "recipients": [recipient]}
                )
            except DBAPIError as exc:
                assert "lock timeout" in str(exc)
                return False
            return True

    try:
        assert await second_upload_locks(other)  # another pay point's recipient: not held back
        assert not await second_upload_locks(away)  # the same recipient: waits for the first upload's commit
    finally:
        await engine.dispose()
