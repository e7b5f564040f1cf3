"""Idempotency-Key on the registry's creating POSTs: retries never register twice."""

from __future__ import annotations

import asyncpg
from sqlalchemy import func, select

from services.registry.models import EVENT_TABLES, Person
from tests.services.registry.test_persons import WRITE, person


async def count(app, model_or_table, **where) -> int:
    async with app.state.sessionmaker() as s:
        q = select(func.count()).select_from(model_or_table)
        for column, value in where.items():
            q = q.where(getattr(model_or_table.c if hasattr(model_or_table, "c") else model_or_table, column) == value)
        return int(await s.scalar(q))


async def test_a_retried_registration_replays_the_first_response(app, http, minter):
    auth = {**minter.headers(*WRITE, client_id="field-app", areas=("991",)), "Idempotency-Key": "reg-0001"}
    body = person()
    first = await http.post("/persons", json=body, headers=auth)
    again = await http.post("/persons", json=body, headers=auth)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert await count(app, Person, national_id=body["national_id"]) == 1
    assert await count(app, EVENT_TABLES.outbox, subject=first.json()["id"]) == 1


async def test_the_same_key_with_another_body_is_422(http, minter):
    auth = {**minter.headers(*WRITE, client_id="field-app", areas=("991",)), "Idempotency-Key": "reg-0002"}
    assert (await http.post("/persons", json=person(), headers=auth)).status_code == 201
    r = await http.post("/persons", json=person(full_name="Trần Văn Bình", sex="male", national_id=...), headers=auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "header.idempotency-key"


async def test_keys_belong_to_their_client_and_failures_leave_no_key(app, http, minter):
    one = {**minter.headers(*WRITE, client_id="app-one", areas=("991",)), "Idempotency-Key": "shared"}
    two = {**minter.headers(*WRITE, client_id="app-two", areas=("991",)), "Idempotency-Key": "shared"}
    bad = person(commune_code="12345")
    assert (await http.post("/persons", json=bad, headers=one)).status_code == 422
    fixed = await http.post("/persons", json=bad | {"commune_code": "99101"}, headers=one)
    assert fixed.status_code == 201  # the failed attempt did not keep the key
    other = await http.post("/persons", json=person(), headers=two)
    assert other.status_code == 201 and other.json()["id"] != fixed.json()["id"]


async def test_a_key_in_flight_is_409(test_db, http, minter):
    holder = await asyncpg.connect(test_db.urls["registry"])
    try:  # another request holding the key right now
        await holder.execute("SELECT pg_advisory_lock(hashtext('idempotency:field-app:busy-1'))")
        auth = {**minter.headers(*WRITE, client_id="field-app", areas=("991",)), "Idempotency-Key": "busy-1"}
        r = await http.post("/persons", json=person(), headers=auth)
        assert r.status_code == 409 and r.json()["type"].endswith("/idempotency-in-flight")
    finally:
        await holder.close()
