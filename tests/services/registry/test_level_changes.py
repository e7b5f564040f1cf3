"""The level-changes job: registry.beneficiary.level_changed.v1 once per beneficiary and month (real PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from common.settings import to_asyncpg_url
from common.testing import app_client
from services.registry.app import create_app
from services.registry.clock import today_in_vietnam
from services.registry.level_changes import daily
from services.registry.models import (
    EVENT_TABLES,
    AdminUnit,
    Application,
    BeneficiaryRow,
    Decision,
    LevelChange,
    Person,
)
from services.registry.settings import RegistrySettings

from .test_beneficiaries import CHECKER, MAKER, apply, approved, h
from .test_death import outbox
from .test_persons import national_id

JOB = "/jobs/level-changes"


async def beneficiary(http, minter, dob: date, categories=("5.1",), effective_month="2021-01") -> dict:
    r = await http.post(
        "/persons",
        json={
            "full_name": "Phạm Thị Năm",
            "date_of_birth": dob.isoformat(),
            "sex": "female",
            "national_id": national_id(dob, "female"),
            "commune_code": "99101",
        },
        headers=h(minter, MAKER),
    )
    assert r.status_code == 201, r.text
    application_id = await apply(http, minter, r.json()["id"], categories)
    r = await http.post(
        f"/applications/{application_id}/approve",
        headers=h(minter, CHECKER),
        json={
            "number": "7/QĐ-UBND",
            "signed_on": f"{effective_month}-05",
            "authority": "Chủ tịch UBND huyện Thử",
            "effective_month": effective_month,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


def mine(body: dict, *ids: str) -> list[dict]:
    return [p for p in body["published"] if p["beneficiary_id"] in ids]


async def test_turning_80_publishes_one_event_in_the_birthday_month(app, http, minter, admin):
    elderly = await approved(http, minter)  # 5.5a, born 1944-05-10, approved 2021-01
    r = await http.post(JOB, params={"on": "2024-04-30"}, headers=admin)
    assert r.status_code == 200 and mine(r.json(), elderly["id"]) == []

    r = await http.post(JOB, params={"on": "2024-05-01"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["on"] == "2024-05-01" and r.json()["effective_month"] == "2024-05"
    [published] = mine(r.json(), elderly["id"])
    expected = {
        "beneficiary_id": elderly["id"],
        "person_id": elderly["person_id"],
        "effective_month": "2024-05",
        "date_of_birth": "1944-05-10",
        "age": 80,
        "category": "5.5a",
        "coefficient": "2.0",
        "previous_category": "5.5a",
        "previous_coefficient": "1.5",
        "lines": [{"category": "5.5a", "coefficient": "2.0"}],
        "previous_lines": [{"category": "5.5a", "coefficient": "1.5"}],
        "reason": None,
        "poverty_status": None,
        "commune_code": "99101",
        "district_code": "991",
        "province_code": "99",
    }
    assert {k: v for k, v in published.items() if k != "event_id"} == expected

    events = [e for e in await outbox(app, elderly["id"]) if e["type"] == "registry.beneficiary.level_changed.v1"]
    assert len(events) == 1 and events[0]["data"] == expected and events[0]["id"] == published["event_id"]

    # Again the same day, later in the month, or in the next month: nothing more for this change.
    for on in ("2024-05-01", "2024-05-31", "2024-06-01"):
        r = await http.post(JOB, params={"on": on}, headers=admin)
        assert r.status_code == 200 and mine(r.json(), elderly["id"]) == []
    events = [e for e in await outbox(app, elderly["id"]) if e["type"] == "registry.beneficiary.level_changed.v1"]
    assert len(events) == 1


async def test_child_turning_4_and_16_and_the_household_status(http, minter, admin):
    child = await beneficiary(http, minter, date(2010, 3, 15), effective_month="2013-01")
    r = await http.post(
        "/households",
        headers=minter.headers("registry:read", "registry:write", areas=("99",)),
        json={
            "commune_code": "99101",
            "members": [{"person_id": child["person_id"], "relationship": "head"}],
            "poverty": {"status": "poor", "valid_from": "2014-01-01", "document": "QĐ 1/QĐ-UBND"},
        },
    )
    assert r.status_code == 201, r.text

    r = await http.post(JOB, params={"on": "2014-03-20"}, headers=admin)
    [four] = mine(r.json(), child["id"])
    assert (four["previous_coefficient"], four["coefficient"], four["age"], four["poverty_status"]) == (
        "2.5",
        "1.5",
        4,
        "poor",
    )

    # Turning 16 in 2026-03: paid that month; not studying, so nothing from 2026-04.
    r = await http.post(JOB, params={"on": "2026-03-01"}, headers=admin)
    assert mine(r.json(), child["id"]) == []
    r = await http.post(JOB, params={"on": "2026-04-01"}, headers=admin)
    [sixteen] = mine(r.json(), child["id"])
    assert sixteen["effective_month"] == "2026-04"
    assert (sixteen["previous_category"], sixteen["category"], sixteen["coefficient"], sixteen["reason"]) == (
        "5.1",
        None,
        None,
        "not_studying",
    )


async def test_the_job_needs_admin_and_a_day_not_in_the_future(http, minter, admin):
    r = await http.post(JOB, params={"on": "2024-05-01"}, headers=h(minter, CHECKER))
    assert r.status_code == 403
    tomorrow = (today_in_vietnam() + timedelta(days=1)).isoformat()
    r = await http.post(JOB, params={"on": tomorrow}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.on"
    r = await http.post(JOB, params={"on": "2024-02-30"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.on"
    r = await http.post(JOB, headers=admin)  # today
    assert r.status_code == 200 and r.json()["on"] == today_in_vietnam().isoformat()


async def test_concurrent_runs_publish_each_change_once(test_db):
    """Three runs at once (as replicas would), each in its own transaction on committed data."""
    engine = create_async_engine(to_asyncpg_url(test_db.urls["registry"]))
    maker = async_sessionmaker(engine, expire_on_commit=False)
    person_id, application_id, beneficiary_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    try:
        async with maker() as s, s.begin():
            commune = (
                await s.execute(
                    select(AdminUnit.code, AdminUnit.parent_code, AdminUnit.province_code)
                    .where(AdminUnit.level == "commune")
                    .limit(1)
                )
            ).one()
            s.add(
                Person(
                    id=person_id,
                    full_name="Võ Văn Sáu",
                    name_key="vo van sau",
                    date_of_birth=date(1944, 5, 10),
                    sex="male",
                    commune_code=commune[0],
                    district_code=commune[1] or "",
                    province_code=commune[2],
                    created_by="test",
                    updated_by="test",
                )
            )
            await s.flush()
            s.add(
                Application(
                    id=application_id, person_id=person_id, categories=["5.5a"], status="approved", submitted_by="test"
                )
            )
            await s.flush()
            s.add(BeneficiaryRow(id=beneficiary_id, person_id=person_id, application_id=application_id))
            await s.flush()
            s.add(
                Decision(
                    beneficiary_id=beneficiary_id,
                    kind="approve",
                    effective_month=date(2021, 1, 1),
                    categories=["5.5a"],
                    decided_by="test",
                )
            )

        counts = await asyncio.gather(*(daily.run_once(maker, date(2024, 5, 20)) for _ in range(3)))
        assert sum(counts) >= 1 and sorted(counts)[:2] == [0, 0]  # one run published, the others found it done

        async with maker() as s:
            events = (
                (
                    await s.execute(
                        select(EVENT_TABLES.outbox.c.envelope).where(
                            EVENT_TABLES.outbox.c.subject == str(beneficiary_id)
                        )
                    )
                )
                .scalars()
                .all()
            )
            recorded = await s.scalar(
                select(func.count()).select_from(LevelChange).where(LevelChange.beneficiary_id == beneficiary_id)
            )
        assert [(e["type"], e["data"]["effective_month"], e["data"]["coefficient"]) for e in events] == [
            ("registry.beneficiary.level_changed.v1", "2024-05", "2.0")
        ]
        assert recorded == 1
        assert await daily.run_once(maker, date(2024, 5, 21)) == 0
    finally:
        async with maker() as s, s.begin():
            await s.execute(delete(EVENT_TABLES.outbox).where(EVENT_TABLES.outbox.c.subject == str(beneficiary_id)))
            await s.execute(
                delete(EVENT_TABLES.sequences).where(EVENT_TABLES.sequences.c.subject == str(beneficiary_id))
            )
            await s.execute(delete(LevelChange).where(LevelChange.beneficiary_id == beneficiary_id))
            await s.execute(delete(Decision).where(Decision.beneficiary_id == beneficiary_id))
            await s.execute(delete(BeneficiaryRow).where(BeneficiaryRow.id == beneficiary_id))
            await s.execute(delete(Application).where(Application.id == application_id))
            await s.execute(delete(Person).where(Person.id == person_id))
        await engine.dispose()


def test_next_daily_run_is_at_the_local_time_in_viet_nam():
    at = time(0, 30)
    # 17:00 UTC = 00:00 in Viet Nam: the run is 30 minutes later.
    assert daily.seconds_until(datetime(2026, 3, 1, 17, 0, tzinfo=UTC), at) == 30 * 60
    # 17:30 UTC = 00:30 exactly: the next run is tomorrow.
    assert daily.seconds_until(datetime(2026, 3, 1, 17, 30, tzinfo=UTC), at) == 24 * 3600
    assert daily.seconds_until(datetime(2026, 3, 1, 18, 0, tzinfo=UTC), at) == 23.5 * 3600


async def test_the_daily_run_lives_with_the_app_and_can_be_switched_off(test_db, minter):
    on = create_app(RegistrySettings(database_url=test_db.urls["registry"]))
    async with app_client(on, keys=minter):
        task = on.state.level_changes_task
        assert task is not None and not task.done()
    assert task.done()
    off = create_app(RegistrySettings(database_url=test_db.urls["registry"], level_changes_daily=False))
    async with app_client(off, keys=minter):
        assert off.state.level_changes_task is None


async def test_the_issue_case_study_started_two_months_after_turning_16_publishes_no_later_change(http, minter, admin):
    """Born 1998-11-01, 5.1 from 2014-01, no study when turning 16 (2014-11), studying from 2015-01: one change in
    2014-12 (nothing paid from then), none in 2015-01 — the late study revives nothing (docs/rules.md §2)."""
    child = await beneficiary(http, minter, date(1998, 11, 1), effective_month="2014-01")
    r = await http.post(
        f"/persons/{child['person_id']}/study-periods",
        headers=h(minter, MAKER),
        json={"kind": "school", "from": "2015-01", "document": "Giấy xác nhận học sinh 2015"},
    )
    assert r.status_code == 201, r.text
    r = await http.post(JOB, params={"on": "2014-12-01"}, headers=admin)
    [published] = mine(r.json(), child["id"])
    assert (published["previous_category"], published["category"], published["reason"]) == ("5.1", None, "not_studying")
    for on in ("2015-01-01", "2015-02-01"):
        r = await http.post(JOB, params={"on": on}, headers=admin)
        assert r.status_code == 200 and mine(r.json(), child["id"]) == []
    r = await http.get(
        f"/beneficiaries/{child['id']}/entitlements",
        params={"from": "2015-01", "to": "2015-01"},
        headers=minter.headers("registry:read", **CHECKER),
    )
    assert r.json()["months"][0]["amount"] == 0  # the engine agrees: nothing is paid
