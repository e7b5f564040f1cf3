"""Concurrent requests, each in a transaction of its own (committed, then cleaned up)."""

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

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
            results = await asyncio.gather(*(http.post("/payrolls", json=body, headers=maker(minter))
                                             for _ in range(2)))
            assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
            created = next(r.json() for r in results if r.status_code == 201)
            refused = next(r.json() for r in results if r.status_code == 409)
            assert refused["existing"] == f"/payments/payrolls/{created['id']}"
            # Two approvals at once: one approves, the other finds it approved.
            await http.post(f"/payrolls/{created['id']}/review", headers=maker(minter))
            checkers = [minter.headers("payments:approve", client_id=f"checker-{i}") for i in range(2)]
            results = await asyncio.gather(*(http.post(f"/payrolls/{created['id']}/approve", headers=h)
                                             for h in checkers))
            assert sorted(r.status_code for r in results) == [200, 409]
        async with engine.connect() as conn:
            count = await conn.scalar(text("SELECT count(*) FROM payments.payrolls WHERE programme = 'funeral' "
                                           "AND period = '2031-01'"))
            events = await conn.scalar(text("SELECT count(*) FROM payments.outbox WHERE subject = :s"),
                                       {"s": created["id"]})
        assert (count, events) == (1, 1)
    finally:
        async with engine.begin() as conn:
            ids = "SELECT id::text FROM payments.payrolls WHERE programme = 'funeral' AND period = '2031-01'"
            await conn.execute(text(f"DELETE FROM payments.outbox WHERE subject IN ({ids})"))
            await conn.execute(text(f"DELETE FROM payments.event_sequences WHERE subject IN ({ids})"))
            await conn.execute(text("DELETE FROM payments.payrolls WHERE programme = 'funeral' AND period = '2031-01'"))
        await engine.dispose()


