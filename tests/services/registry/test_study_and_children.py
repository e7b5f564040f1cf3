"""Study periods (5.2), the children a single parent (5.4) is paid for, and the rulings of docs/rules.md §2, through the
registry's HTTP API on real PostgreSQL (rolled back)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from services.registry.models import EVENT_TABLES

from .test_beneficiaries import CHECKER, MAKER, apply, by_month, h
from .test_persons import national_id
from .test_schedules import schedules

READ = ("registry:read",)
STUDY_CHANGED = "registry.person.study_changed.v1"


async def person(http, minter, name: str, dob: date, sex: str = "female", **extra) -> str:
    body = {
        "full_name": name,
        "date_of_birth": dob.isoformat(),
        "sex": sex,
        "national_id": national_id(dob, sex),
        "commune_code": "99101",
        **extra,
    }
    r = await http.post("/persons", json=body, headers=h(minter, MAKER))
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def approve(http, minter, person_id: str, categories, effective: str) -> str:
    application_id = await apply(http, minter, person_id, categories)
    r = await http.post(
        f"/applications/{application_id}/approve",
        headers=h(minter, CHECKER),
        json={
            "number": "7/QĐ-UBND",
            "signed_on": f"{effective}-05",
            "authority": "Chủ tịch UBND huyện Thử",
            "effective_month": effective,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def months(http, minter, beneficiary_id: str, first: str, last: str) -> dict[str, dict]:
    r = await http.get(
        f"/beneficiaries/{beneficiary_id}/entitlements",
        params={"from": first, "to": last},
        headers=minter.headers(*READ, **CHECKER),
    )
    assert r.status_code == 200, r.text
    return by_month(r.json())


async def study(http, minter, person_id: str, start: str, end: str | None = None, kind: str = "school"):
    return await http.post(
        f"/persons/{person_id}/study-periods",
        headers=h(minter, MAKER),
        json={
            "kind": kind,
            "from": start,
            "to": end,
            "institution": "Trường THPT Thử",
            "document": f"Giấy xác nhận học sinh {start}",
        },
    )


async def events(app, type_: str, subject: str) -> list[dict]:
    async with app.state.sessionmaker() as s:
        rows = (
            (
                await s.execute(
                    select(EVENT_TABLES.outbox.c.envelope)
                    .where(EVENT_TABLES.outbox.c.subject == subject, EVENT_TABLES.outbox.c.type == type_)
                    .order_by(EVENT_TABLES.outbox.c.sequence)
                )
            )
            .scalars()
            .all()
        )
    return [r["data"] for r in rows]


# --- study periods -------------------------------------------------------------------------------------------


async def test_record_list_correct_withdraw_a_study_period_with_history_and_events(app, http, minter):
    pupil = await person(http, minter, "Lê Văn Học", date(2008, 3, 15), "male")
    r = await study(http, minter, pupil, "2023-09", "2026-05")
    assert r.status_code == 201, r.text
    period = r.json()
    assert (period["kind"], period["from"], period["to"], period["version"], period["withdrawn"]) == (
        "school",
        "2023-09",
        "2026-05",
        1,
        False,
    )
    assert r.headers["etag"] == '"1"' and r.headers["location"] == f"/registry/study-periods/{period['id']}"

    r = await study(http, minter, pupil, "2026-01")
    assert r.status_code == 409 and r.json()["type"].endswith("/study-overlap")
    assert r.json()["existing"] == f"/registry/study-periods/{period['id']}"

    url = f"/study-periods/{period['id']}"
    correction = {"to": "2025-12", "reason": "thôi học từ tháng 01/2026"}
    assert (await http.patch(url, json=correction, headers=h(minter, MAKER))).status_code == 428
    r = await http.patch(url, json=correction, headers={**h(minter, MAKER), "If-Match": '"9"'})
    assert r.status_code == 412
    r = await http.patch(url, json=correction, headers={**h(minter, MAKER), "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["to"] == "2025-12" and r.headers["etag"] == '"2"'
    assert (await study(http, minter, pupil, "2026-01", kind="vocational")).status_code == 201  # no overlap now

    r = await http.delete(url, params={"reason": "ghi nhầm"}, headers={**h(minter, MAKER), "If-Match": '"2"'})
    assert r.status_code == 200 and r.json()["withdrawn"] is True

    r = await http.get(f"/persons/{pupil}/study-periods", headers=minter.headers(*READ, **CHECKER))
    assert [(p["kind"], p["from"], p["withdrawn"]) for p in r.json()["items"]] == [
        ("school", "2023-09", True),
        ("vocational", "2026-01", False),
    ]
    r = await http.get(f"{url}/history", headers=minter.headers(*READ, **CHECKER))
    assert [(c["version"], c["reason"]) for c in r.json()["items"]] == [
        (3, "ghi nhầm"),
        (2, "thôi học từ tháng 01/2026"),
        (1, "Giấy xác nhận học sinh 2023-09"),
    ]
    assert r.json()["items"][1]["before"]["to"] == "2026-05" and r.json()["items"][1]["after"]["to"] == "2025-12"

    published = await events(app, STUDY_CHANGED, pupil)
    assert [(e["change"], e["version"]) for e in published] == [
        ("recorded", 1),
        ("corrected", 2),
        ("recorded", 1),
        ("withdrawn", 3),
    ]
    assert published[0] | {"study_period_id": None} == {
        "person_id": pupil,
        "study_period_id": None,
        "change": "recorded",
        "version": 1,
        "kind": "school",
        "from_month": "2023-09",
        "to_month": "2026-05",
        "withdrawn": False,
        "commune_code": "99101",
        "district_code": "991",
        "province_code": "99",
    }  # no name, institution or document


async def test_bad_study_periods_are_422_naming_the_field_and_outside_areas_404(http, minter):
    pupil = await person(http, minter, "Lê Văn Học", date(2008, 3, 15), "male")
    r = await study(http, minter, pupil, "2008-02")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.from"
    r = await study(http, minter, pupil, "2099-09")
    assert r.status_code == 422 and "current month" in r.json()["errors"][0]["reason"]
    r = await study(http, minter, pupil, "2024-09", "2024-08")
    assert r.status_code == 422
    r = await http.post(
        f"/persons/{pupil}/study-periods",
        headers=h(minter, MAKER),
        json={"kind": "kindergarten", "from": "2024-09", "document": "x"},
    )
    assert r.status_code == 422
    r = await http.post(
        f"/persons/{pupil}/study-periods",
        json={"kind": "school", "from": "2024-09", "document": "x"},
        headers=minter.headers("registry:read", "registry:write", areas=("992",)),
    )
    assert r.status_code == 404


async def test_a_study_period_recorded_late_continues_5_1_as_5_2_and_resends_the_schedule(app, http, minter):
    orphan = await person(http, minter, "Nguyễn Văn Mồ Côi", date(2008, 3, 15), "male")
    beneficiary = await approve(http, minter, orphan, ["5.1"], "2021-01")
    before = await months(http, minter, beneficiary, "2024-03", "2024-04")
    assert before["2024-03"]["amount"] == 540_000  # 5.1 from 4: 1.5 × 360,000, paid in the 16th-birthday month
    assert before["2024-04"]["amount"] == 0 and before["2024-04"]["reason"] == "not_studying"
    [first] = await schedules(app, beneficiary)
    assert first["periods"][-1]["to"] == "2024-03"

    assert (await study(http, minter, orphan, "2023-09")).status_code == 201
    after = await months(http, minter, beneficiary, "2024-04", "2030-04")
    assert (after["2024-04"]["category"], after["2024-04"]["amount"]) == ("5.2", 540_000)  # no gap
    assert after["2030-03"]["amount"] == 810_000 and after["2030-04"]["reason"] == "aged_out"  # through 22
    *_, second = await schedules(app, beneficiary)
    assert second["version"] == 2  # payments pays the arrears from 2024-04
    assert [(p["from"], p["to"], p["category"]) for p in second["periods"]][-3:] == [
        ("2024-04", "2024-06", "5.2"),
        ("2024-07", "2026-06", "5.2"),
        ("2026-07", None, "5.2"),
    ]  # to the horizon


async def test_study_starting_later_than_the_month_after_the_16th_birthday_revives_nothing(http, minter):
    orphan = await person(http, minter, "Nguyễn Văn Muộn", date(2008, 3, 15), "male")
    beneficiary = await approve(http, minter, orphan, ["5.1"], "2021-01")
    assert (await study(http, minter, orphan, "2024-05")).status_code == 201
    found = await months(http, minter, beneficiary, "2024-04", "2024-06")
    assert [found[m]["amount"] for m in ("2024-04", "2024-05", "2024-06")] == [0, 0, 0]


async def test_a_change_to_5_2_pays_once_study_is_recorded(http, minter):
    student = await person(http, minter, "Trần Thị Sinh Viên", date(2005, 2, 1))
    assert (await study(http, minter, student, "2023-09", kind="university")).status_code == 201
    beneficiary = await approve(http, minter, student, ["5.2"], "2024-09")
    found = await months(http, minter, beneficiary, "2024-09", "2024-09")
    assert (found["2024-09"]["category"], found["2024-09"]["amount"]) == ("5.2", 750_000)


# --- 5.4: the children of a single parent ----------------------------------------------------------------------


async def single_mother(http, minter) -> tuple[str, str, str, str]:
    """A poor single mother (severe disability certified 2020) heading a household with two children."""
    mother = await person(
        http, minter, "Phạm Thị Mẹ", date(1985, 3, 1), disability_level="severe", disability_certified_on="2020-06-10"
    )
    first = await person(http, minter, "Phạm Văn Anh", date(2012, 4, 2), "male")
    second = await person(http, minter, "Phạm Thị Em", date(2015, 8, 20))
    r = await http.post(
        "/households",
        headers=h(minter, MAKER),
        json={
            "commune_code": "99101",
            "members": [
                {"person_id": mother, "relationship": "head", "joined_on": "2012-01-01"},
                {"person_id": first, "relationship": "child", "joined_on": "2012-04-02"},
                {"person_id": second, "relationship": "child", "joined_on": "2015-08-20"},
            ],
            "poverty": {"status": "poor", "valid_from": "2021-01-01", "document": "QĐ 3/QĐ-UBND"},
        },
    )
    assert r.status_code == 201, r.text
    return mother, first, second, r.json()["id"]


async def test_a_poor_single_mother_of_two_with_a_disability_is_paid_for_both_children(http, minter):
    mother, first, second, _ = await single_mother(http, minter)
    beneficiary = await approve(http, minter, mother, ["5.4", "5.6"], "2021-07")
    month = (await months(http, minter, beneficiary, "2021-07", "2021-07"))["2021-07"]
    assert month["amount"] == 2 * 360_000 + 540_000
    single, disability = month["lines"]
    assert (single["category"], single["coefficient"], single["children"], single["amount"]) == (
        "5.4",
        "2.0",
        2,
        720_000,
    )
    assert [(c["person_id"], c["full_name"], c["basis"]) for c in single["children_counted"]] == [
        (first, "Phạm Văn Anh", "child"),
        (second, "Phạm Thị Em", "child"),
    ]
    assert (disability["category"], disability["amount"]) == ("5.6", 540_000)


async def test_5_4_follows_members_joining_leaving_turning_16_and_studying(app, http, minter):
    mother, first, second, household = await single_mother(http, minter)
    beneficiary = await approve(http, minter, mother, ["5.4"], "2021-07")
    count = {
        m: v["lines"][0]["children"] if v["lines"] else 0
        for m, v in (await months(http, minter, beneficiary, "2028-04", "2028-05")).items()
    }
    assert count == {"2028-04": 2, "2028-05": 1}  # the first child turns 16 in 2028-04

    # A nephew taken in as a child of the household in 2024-08, who leaves in 2025-02.
    nephew = await person(http, minter, "Phạm Văn Cháu", date(2019, 1, 5), "male")
    r = await http.post(
        f"/households/{household}/members",
        headers=h(minter, MAKER),
        json={"person_id": nephew, "relationship": "child", "joined_on": "2024-08-10"},
    )
    assert r.status_code == 200, r.text
    r = await http.delete(
        f"/households/{household}/members/{nephew}", params={"left_on": "2025-02-03"}, headers=h(minter, MAKER)
    )
    assert r.status_code == 200, r.text
    found = await months(http, minter, beneficiary, "2024-07", "2025-03")
    assert [found[m]["lines"][0]["children"] for m in ("2024-07", "2024-08", "2025-02", "2025-03")] == [2, 3, 3, 2]

    # The first child studies from 2026-09: after turning 16 (2028-04) counted as studying, through the month of
    # the 22nd birthday.
    assert (await study(http, minter, first, "2026-09")).status_code == 201
    found = await months(http, minter, beneficiary, "2028-05", "2034-05")
    assert [c["basis"] for c in found["2028-05"]["lines"][0]["children_counted"]] == ["studying", "child"]
    assert found["2034-04"]["lines"][0]["children"] == 1  # 22 in 2034-04: still counted; the second is 18
    schedule = (await schedules(app, beneficiary))[-1]  # to the horizon (24 months ahead): still 2 children
    assert [(p["from"], p["to"], p["amount"]) for p in schedule["periods"]][-1] == ("2026-07", None, 1_080_000)


async def test_5_4_with_no_child_counted_gives_no_line_and_says_why(http, minter):
    father = await person(http, minter, "Lâm Văn Cha", date(1980, 1, 1), "male")
    beneficiary = await approve(http, minter, father, ["5.4"], "2024-07")
    month = (await months(http, minter, beneficiary, "2024-07", "2024-07"))["2024-07"]
    assert (month["amount"], month["lines"], month["reason"], month["detail"]) == (0, [], "no_child", "5.4: no_child")


# --- rulings: refusals -------------------------------------------------------------------------------------------


async def test_a_5_1_decision_for_a_person_of_16_or_more_is_refused_5_2_is_granted_directly(http, minter):
    teenager = await person(http, minter, "Võ Văn Lớn", date(2007, 5, 1), "male")
    application_id = await apply(http, minter, teenager, ["5.1"])
    r = await http.post(
        f"/applications/{application_id}/approve",
        headers=h(minter, CHECKER),
        json={"number": "9/QĐ-UBND", "signed_on": "2024-06-03", "authority": "UBND", "effective_month": "2024-06"},
    )
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["field"], error["code"]) == ("body.categories.0", "aged-out") and "5.2" in error["reason"]


async def test_5_5b_and_5_7_cannot_be_granted_before_2021_07(http, minter):
    elder = await person(http, minter, "Thạch Thị Già", date(1945, 3, 1))
    application_id = await apply(http, minter, elder, ["5.5b"])
    decision = {"number": "1/QĐ", "signed_on": "2021-06-10", "authority": "UBND", "effective_month": "2021-06"}
    r = await http.post(f"/applications/{application_id}/approve", headers=h(minter, CHECKER), json=decision)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "category-not-in-force"
    r = await http.post(
        f"/applications/{application_id}/approve",
        headers=h(minter, CHECKER),
        json={**decision, "signed_on": "2021-07-10", "effective_month": "2021-07"},
    )
    assert r.status_code == 201, r.text


async def test_a_category_change_to_5_1_at_16_is_refused(http, minter):
    child = await person(http, minter, "Võ Thị Nhỏ", date(2010, 5, 1))
    beneficiary = await approve(http, minter, child, ["5.3"], "2021-01")
    r = await http.post(
        f"/beneficiaries/{beneficiary}/decisions",
        headers={**h(minter, CHECKER), "If-Match": '"1"'},
        json={
            "kind": "change_category",
            "categories": ["5.1"],
            "effective_month": "2026-06",
            "number": "2/QĐ",
            "signed_on": "2026-06-02",
        },
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "aged-out"


async def test_a_decision_signed_after_the_recorded_death_pays_no_arrears(http, minter):
    elder = await person(http, minter, "Kim Thị Thọ", date(1943, 2, 1))
    beneficiary = await approve(http, minter, elder, ["5.5c"], "2024-05")
    assert (await months(http, minter, beneficiary, "2023-02", "2023-02"))["2023-02"]["amount"] == 360_000
    r = await http.post(
        f"/persons/{elder}/death",
        headers=h(minter, CHECKER),
        json={"death_date": "2024-03-10", "document": "Trích lục khai tử 4/2024"},
    )
    assert r.status_code == 201, r.text
    found = await months(http, minter, beneficiary, "2023-02", "2024-06")
    assert {m["amount"] for m in found.values()} == {0}  # the decision came after the death: nothing is owed
    assert found["2023-02"]["reason"] == "deceased"


async def test_a_childs_death_recorded_later_lowers_the_parents_schedule(app, http, minter):
    mother, _, second, _ = await single_mother(http, minter)
    beneficiary = await approve(http, minter, mother, ["5.4"], "2021-07")
    versions = len(await schedules(app, beneficiary))
    r = await http.post(
        f"/persons/{second}/death",
        headers=h(minter, CHECKER),
        json={"death_date": "2025-05-10", "document": "Trích lục khai tử 9/2025"},
    )
    assert r.status_code == 201, r.text
    found = await months(http, minter, beneficiary, "2025-05", "2025-06")
    assert (found["2025-05"]["lines"][0]["children"], found["2025-06"]["lines"][0]["children"]) == (2, 1)
    latest = (await schedules(app, beneficiary))[-1]
    assert latest["version"] == versions + 1  # money paid for two children from 2025-06 is to be recovered
    assert ("2025-06", 500_000) in [(p["from"], p["amount"]) for p in latest["periods"]]


async def test_a_study_period_is_read_with_its_etag_and_hidden_outside_the_areas(http, minter):
    pupil = await person(http, minter, "Lê Văn Học", date(2008, 3, 15), "male")
    period = (await study(http, minter, pupil, "2023-09")).json()
    r = await http.get(f"/study-periods/{period['id']}", headers=minter.headers(*READ, **CHECKER))
    assert r.status_code == 200 and r.headers["etag"] == '"1"' and r.json()["from"] == "2023-09"
    elsewhere = minter.headers(*READ, areas=("992",))
    assert (await http.get(f"/study-periods/{period['id']}", headers=elsewhere)).status_code == 404
    assert (await http.get(f"/persons/{pupil}/study-periods", headers=elsewhere)).status_code == 404
    assert (await http.get(f"/study-periods/{period['id']}/history", headers=elsewhere)).status_code == 404
