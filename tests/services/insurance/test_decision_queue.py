"""The decision worker drains the queue chunk after chunk from where the previous chunk stopped, and a person queued
behind that point (a transaction that began earlier and committed later) is still decided by the next pass."""

import uuid
from datetime import date, timedelta

from sqlalchemy import text

from services.insurance.decisions import service as decisions
from services.insurance.decisions.worker import Worker

from .helpers import cards, feed, registered


async def _queued(app) -> list[uuid.UUID]:
    async with app.state.sessionmaker() as session:
        rows = await session.scalars(text("SELECT person_id FROM insurance.pending_decisions ORDER BY person_id"))
        return list(rows)


async def test_chunks_follow_the_queue_and_a_late_commit_is_found_by_the_next_pass(app, http, minter):
    children = [uuid.uuid4() for _ in range(5)]
    await feed(app, *(registered(c, date(2024, 1, 10), on=date(2024, 2, 1)) for c in children), decide=False)
    assert sorted(await _queued(app)) == sorted(children)
    async with app.state.sessionmaker() as session:
        first, cursor = await decisions.decide_next(session, None, limit=2)
        second, cursor = await decisions.decide_next(session, cursor, limit=2)
        await session.commit()
    assert (first, second) == (2, 2)
    [left] = await _queued(app)
    # Queued with a queued_at before the cursor, as by a transaction that began before the chunks were taken.
    late = uuid.uuid4()
    await feed(app, registered(late, date(2024, 3, 3), on=date(2024, 4, 1)), decide=False)
    async with app.state.sessionmaker() as session, session.begin():
        assert cursor is not None
        await session.execute(
            text("UPDATE insurance.pending_decisions SET queued_at = :at WHERE person_id = :p"),
            {"at": cursor[0] - timedelta(hours=1), "p": late},
        )
    async with app.state.sessionmaker() as session:
        taken, _ = await decisions.decide_next(session, cursor, limit=2)
        await session.commit()
    assert taken == 1 and await _queued(app) == [late]  # the one after the cursor; the late one stays queued
    assert await Worker().run_once(app.state.sessionmaker) == 1  # a pass from the start finds it
    assert await _queued(app) == []
    for child in [*children, late]:
        body = await cards(http, minter, child)
        assert [e["group"] for e in body["entitlements"]] == ["TE"], (child, left, body)
